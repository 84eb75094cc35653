#!/usr/bin/env -S node --max-semi-space-size=2 --v8-pool-size=1 --expose-gc
// Entry point for `npx medic` / `npm start`.
//
// The 2 MB young generation: medic is a long-running daemon that allocates in bursts (start-up,
// a drift check of hundreds of units) and little otherwise; V8's default 16 MB semi-spaces keep
// ~60 MB of RSS after such a burst for nothing (bench/watchdog.bench.ts: 500 units ~180 → ~120 MB,
// idle CPU unchanged). --v8-pool-size=1: one V8 worker thread instead of node's default 4, for
// concurrent compilation and GC; each thread keeps its own malloc arena and
// compiler zones after the start-up burst (bench/scale.bench.ts at 500 units: ~102 MB instead of
// 109–162 MB, CPU to ready unchanged; --optimize-for-size gave ~105 MB for +25 % start-up CPU,
// MALLOC_ARENA_MAX=1 alone nothing). Run as
// `node bin/medic.mjs` the flags are not applied (same behaviour, more RSS); `medic install`
// writes them into the unit (src/cli/commands/install.ts).
//
// Runs the compiled tree in dist/ (built by `npm run build`, which `npm install` runs through
// `prepare`) when it is at least as new as every source file: plain node is ~60 MB lighter and
// starts faster than transpiling on the fly. Otherwise (a source was edited since the last
// build, or there is no build) the TypeScript sources run through tsx's loader, so an edit is
// never shadowed by a stale build. MEDIC_FROM_SOURCE=1 forces the sources.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const built = join(root, 'dist', 'src', 'cli', 'main.js');
const SOURCES = ['src', 'schema', 'bot', 'db'];

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function buildIsFresh() {
  if (process.env.MEDIC_FROM_SOURCE === '1' || !existsSync(built)) return false;
  // tsc (not incremental) rewrites every output on each build, so main.js dates the build.
  const builtAt = statSync(built).mtimeMs;
  return SOURCES.every((d) => !existsSync(join(root, d)) || newestSource(join(root, d)) <= builtAt);
}

let main;
if (buildIsFresh()) {
  ({ main } = await import(pathToFileURL(built).href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
