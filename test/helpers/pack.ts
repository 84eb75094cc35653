/**
 * `npm pack` of this checkout without touching it: the package's inputs are copied to a
 * temporary folder (node_modules linked, for the build), where `npm pack` runs `prepare`
 * (the dist/ build). Building in the checkout itself would rewrite dist/ under tests that run
 * bin/medic.mjs at the same time. When the checkout's dist/ is at least as new as every source
 * (as after `npm ci`, whose `prepare` builds it), it is copied and packed as is
 * (`--ignore-scripts`), which saves a full build.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { cp, mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const ROOT = join(import.meta.dirname, '../..');
const INPUTS = [
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'README.md',
  '.env.example',
  'bin',
  'src',
  'schema',
  'bot',
  'db',
  'examples',
  'docs',
];

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** The same test as bin/medic.mjs: dist/ was built after the last source edit. */
export function distIsFresh(): boolean {
  const main = join(ROOT, 'dist', 'src', 'cli', 'main.js');
  if (!existsSync(main)) return false;
  const builtAt = statSync(main).mtimeMs;
  return ['src', 'schema', 'bot', 'db'].every((d) => newestSource(join(ROOT, d)) <= builtAt);
}

/** Packs into `dir`; returns the tarball's path. */
export async function packInto(dir: string, timeoutMs = 20 * 60_000): Promise<string> {
  const tree = join(dir, 'pack-tree');
  await mkdir(tree, { recursive: true });
  for (const f of INPUTS) await cp(join(ROOT, f), join(tree, f), { recursive: true });
  await symlink(join(ROOT, 'node_modules'), join(tree, 'node_modules'));
  const fresh = distIsFresh();
  if (fresh) await cp(join(ROOT, 'dist'), join(tree, 'dist'), { recursive: true });
  const args = ['pack', '--pack-destination', dir, '--json', ...(fresh ? ['--ignore-scripts'] : [])];
  const { stdout } = await run('npm', args, {
    cwd: tree,
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  return join(dir, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
}
