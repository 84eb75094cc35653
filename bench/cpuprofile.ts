/**
 * Sums a V8 .cpuprofile (`node --cpu-prof`) by self time: the top functions and files, and the
 * share of GC, idle and "program". Usage: `npx tsx bench/cpuprofile.ts FILE [FROM_US TO_US]`;
 * FROM/TO (CLOCK_MONOTONIC µs, the profile's clock; bench/fleet.bench.ts prints its ingest
 * window) keep only the samples taken in that window. Not a bench itself (no `.bench.ts`).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const [file, fromArg, toArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: tsx bench/cpuprofile.ts FILE [FROM_US TO_US]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const from = fromArg ? Number(fromArg) : Number.NEGATIVE_INFINITY;
const to = toArg ? Number(toArg) : Number.POSITIVE_INFINITY;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));

const selfUs = new Map<number, number>();
let t = profile.startTime;
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i] ?? 0;
  t += dt;
  if (t < from || t > to) continue;
  const id = profile.samples[i]!;
  selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
}

const shortUrl = (url: string) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, 'npm:')
    .replace(/^.*\/(src|bench|db)\//, '$1/') || '(native)';
const fnKey = (n: ProfileNode) =>
  `${n.callFrame.functionName || '(anonymous)'} ${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
const fileKey = (n: ProfileNode) => {
  const url = shortUrl(n.callFrame.url);
  // A package counts as one "file" (its name), sources per file.
  const pkg = /^npm:((?:@[^/]+\/)?[^/]+)/.exec(url);
  return pkg ? `npm:${pkg[1]}` : url;
};

function top(key: (n: ProfileNode) => string, k: number, withIdle = false) {
  const sums = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    if (!withIdle && n.callFrame.functionName === '(idle)') continue;
    sums.set(key(n), (sums.get(key(n)) ?? 0) + us);
  }
  return [...sums].sort((a, b) => b[1] - a[1]).slice(0, k);
}

const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const idle = top((n) => n.callFrame.functionName, 1000, true).find(([name]) => name === '(idle)')?.[1] ?? 0;
const busy = total - idle;
const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)} %`;
console.log(`window ${(total / 1e6).toFixed(2)} s, busy (not idle) ${(busy / 1e6).toFixed(2)} s`);
// Under CPU contention a thread descheduled inside a syscall (writev waking PostgreSQL) is
// sampled there: native frames then stand for waiting, not work. Compare JS frames.
console.log('\nself time by file/package (% of busy):');
for (const [k, us] of top(fileKey, 25)) if (k !== '(native)' || us) console.log(`${pct(us)}  ${k}`);
console.log('\nself time by function (% of busy):');
for (const [k, us] of top(fnKey, 40)) console.log(`${pct(us)}  ${k}`);

// Inclusive ("total") time: each sample counts once for every distinct function on its stack.
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const inclusive = new Map<string, number>();
for (const [id, us] of selfUs) {
  if (byId.get(id)!.callFrame.functionName === '(idle)') continue;
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const key = fnKey(byId.get(at)!);
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + us);
  }
}
console.log('\ntotal (inclusive) time by function (% of busy):');
for (const [k, us] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, 60))
  console.log(`${pct(us)}  ${k}`);
