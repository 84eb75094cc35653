/**
 * The fleet hub at scale (issue 15), against a real PostgreSQL (run under
 * scripts/with-postgres.sh: `scripts/with-postgres.sh npx tsx bench/run.ts fleet`; skipped
 * otherwise). One real `medic hub` process; agents are simulated clients speaking the real ship
 * protocol over real HTTP. N nodes × 20 services (MEDIC_BENCH_FLEET_NODES, default 1000).
 *
 * - ingest: events/s stored through POST /agent/v1/ship (batches of 100 events, 16 in flight)
 *   against a raw `pg` multi-row INSERT of the same rows into a same-shaped table on the same
 *   server, same batch size and concurrency (goal ≥ 0.5×);
 * - event → subscriber: an event shipped by one node until a hub subscriber (SSE) receives it,
 *   p50/p99, with ~1,000 events/s of background traffic from other nodes (goal p99 ≤ 1 s);
 * - `services(first: 100)` page over HTTP at N×20 services, p50/p99 (goal p99 ≤ 50 ms), against
 *   the same page as one raw SQL query, in steady state: after the bulk ingest of section 1 the
 *   bench waits until PostgreSQL's background work on the tables it filled has settled
 *   (autovacuum nothing due, no worker for 2 s; it printed the time and what ran) and warms up
 *   with 20 pages not counted. The 200 pages right after the ingest, while autovacuum may run,
 *   are reported too (context, no goal), with the slowest pages beside the raw SQL page timed
 *   right after each (and the hub's GC pauses with MEDIC_BENCH_HUB_TRACE_GC=1);
 * - the status page's cards fragment at N×20 services (bench/fleet-page.ts);
 * - hub RSS at N×20 services (goal ≤ 300 MB), read from /proc;
 * - the fleet restart budget (issue 16, bench/fleet-budget.ts): lease p50/p99 at ~1,000
 *   requests/s, an N×20 storm's time to all healthy against its theoretical minimum, and the
 *   peak restarts in flight from the hub's lease table.
 * MEDIC_BENCH_FLEET_ONLY=budget runs the budget section alone (after registering the tokens);
 * MEDIC_BENCH_FLEET_ONLY=hub runs sections 1–4 (issue 15) without it; =ingest section 1 only.
 * MEDIC_BENCH_HUB_CPU_PROF=DIR runs the hub under `node --cpu-prof` (a .cpuprofile in DIR when it
 * exits; `npx tsx bench/cpuprofile.ts FILE` sums its self time per function and file).
 * MEDIC_BENCH_HUB_PERF=DIR records each hub with Linux `perf` (CPU time, kernel included — the
 * .cpuprofile samples wall time and counts the event loop's own socket reads as idle):
 * `DIR/hub-PID.perf.data`, JavaScript named through `--perf-basic-prof`, timestamps on
 * CLOCK_MONOTONIC (`perf report -i FILE --time FROM,TO` with the window the bench prints, in s).
 * MEDIC_BENCH_HUB_NODE_FLAGS: more node flags for each hub (e.g. `--trace-deopt`), and
 * MEDIC_BENCH_HUB_OUT=DIR keeps each hub's stdout in `DIR/hub-PID.out`.
 * Not measured here: the agent's overhead of shipping on the store bench.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { SHIP_PATH } from '../src/fleet/protocol.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { syntheticView } from '../test/fleet/synthetic-views.js';
import { cpuPerUnit, cpuSnapshot } from './cpu-share.js';
import { ensureDist } from './dist.js';
import { budgetSection } from './fleet-budget.js';
import { statusPageSection } from './fleet-page.js';
import { report } from './report.js';

const NODES = Number(process.env.MEDIC_BENCH_FLEET_NODES ?? 1000);
const SERVICES = 20;
const BATCH = 100;
const IN_FLIGHT = 16;
const BUDGET_MS = 5_000;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The hub's GC pauses seen (MEDIC_BENCH_HUB_TRACE_GC=1), by the time their line arrived. */
const gcPauses: { at: number; kind: string; ms: number }[] = [];

async function freshDb(admin: string): Promise<string> {
  const name = `bench_${randomBytes(4).toString('hex')}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The autovacuum workers running now (their query says what they work on). */
const AUTOVACUUM_NOW = "SELECT query FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'";

/** Checkpoints PostgreSQL has started since its statistics were reset (timed and requested). */
async function checkpoints(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    'SELECT checkpoints_timed + checkpoints_req AS n FROM pg_stat_bgwriter',
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * Tables whose autovacuum is still due after the ingest: modified, dead or inserted tuples over
 * autovacuum's own thresholds (its settings, the tables' reltuples; -1 before the first ANALYZE).
 */
const AUTOVACUUM_DUE = `
SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
WHERE s.relname IN ('fleet_events', 'fleet_services', 'nodes', 'bench_events') AND (
  s.n_mod_since_analyze > current_setting('autovacuum_analyze_threshold')::float8
    + current_setting('autovacuum_analyze_scale_factor')::float8 * greatest(c.reltuples, 0)
  OR s.n_dead_tup > current_setting('autovacuum_vacuum_threshold')::float8
    + current_setting('autovacuum_vacuum_scale_factor')::float8 * greatest(c.reltuples, 0)
  OR s.n_ins_since_vacuum > current_setting('autovacuum_vacuum_insert_threshold')::float8
    + current_setting('autovacuum_vacuum_insert_scale_factor')::float8 * greatest(c.reltuples, 0))`;

/**
 * Waits until PostgreSQL's background work after the bulk ingest has settled: autovacuum has
 * nothing due on the tables the ingest filled and no autovacuum worker has run for 2 s (polled
 * every 250 ms), at most 120 s (autovacuum's launcher wakes every `autovacuum_naptime`, 60 s by
 * default). Returns the time waited (ms) and what was due or running meanwhile.
 */
async function settle(pool: pg.Pool): Promise<{ ms: number; seen: string[] }> {
  const t0 = performance.now();
  const seen = new Set<string>();
  let quietSince = performance.now();
  while (performance.now() - t0 < 120_000) {
    const due = (await pool.query<{ relname: string }>(AUTOVACUUM_DUE)).rows;
    const running = (await pool.query<{ query: string }>(AUTOVACUUM_NOW)).rows;
    for (const r of due) seen.add(`due: ${r.relname}`);
    for (const r of running) seen.add(r.query || 'an autovacuum worker');
    if (due.length > 0 || running.length > 0) quietSince = performance.now();
    else if (performance.now() - quietSince >= 2_000) break;
    await sleep(250);
  }
  return { ms: performance.now() - t0, seen: [...seen] };
}

async function cli(args: string[], env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'bin', 'medic.mjs'), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  await new Promise((r) => child.once('exit', r));
  return out.trim().split('\n').at(-1)!;
}

export async function run(): Promise<void> {
  const admin = process.env.MEDIC_TEST_PG_ADMIN_URL;
  if (!admin) {
    console.log('fleet: skipped (no PostgreSQL: run under scripts/with-postgres.sh)');
    return;
  }
  // The hubs and agents run bin/medic.mjs: the installed form (compiled dist/), not a tsx figure
  // because a source is newer than the last build (found in s9: every fleet run before was tsx).
  console.log(`  bin mode: ${ensureDist()}`);
  const url = await freshDb(admin);
  const env = {
    MEDIC_HUB_DATABASE_URL: url,
    MEDIC_HOST: '127.0.0.1',
    MEDIC_PORT: '0',
    LOG_LEVEL: 'warn',
    MEDIC_HUB_SILENCE_SEC: '3600',
  };
  // Tokens straight into the table (the CLI per token would take minutes): same hashing as the CLI.
  const viewer = await cli(['token', 'create', '--name', 'bench-viewer', '--role', 'viewer'], env);
  /** A `medic hub` process on the bench database; more environment for a variant. */
  const spawnHub = async (more: Record<string, string> = {}) => {
    const prof = process.env.MEDIC_BENCH_HUB_CPU_PROF;
    const flags = prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : [];
    if (process.env.MEDIC_BENCH_HUB_TRACE_GC) flags.push('--trace-gc');
    flags.push(...(process.env.MEDIC_BENCH_HUB_NODE_FLAGS ?? '').split(' ').filter(Boolean));
    const perf = process.env.MEDIC_BENCH_HUB_PERF;
    // (--perf-basic-prof turns V8's log on too: into /dev/null, not an isolate-*.log here.)
    if (perf) flags.push('--perf-basic-prof', '--no-logfile-per-isolate', '--logfile=/dev/null');
    const child = spawn(process.execPath, [...flags, join(PACKAGE_ROOT, 'bin', 'medic.mjs'), 'hub'], {
      env: { ...process.env, ...env, LOG_LEVEL: 'info', ...more },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (perf && child.pid !== undefined) {
      // Ends by itself when the hub exits.
      const args = ['record', '-e', 'cpu-clock', '-F', '1999', '-g', '-k', 'mono', '-p', String(child.pid)];
      spawn('perf', [...args, '-o', join(perf, `hub-${child.pid}.perf.data`)], { stdio: 'ignore' });
    }
    const keep = process.env.MEDIC_BENCH_HUB_OUT;
    if (keep) child.stdout.pipe(createWriteStream(join(keep, `hub-${child.pid}.out`)));
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      // MEDIC_BENCH_HUB_TRACE_GC=1: the hub's GC pauses, as this process received their lines.
      for (const m of String(d).matchAll(
        /(Scavenge|Mark-Compact|Mark-sweep)[^\n]*?MB, ([\d.]+) \/ [\d.]+ ms/g,
      ))
        gcPauses.push({ at: performance.now(), kind: m[1]!, ms: Number(m[2]) });
    });
    // MEDIC_BENCH_HUB_LOG=1: the hub's warnings and errors on this process's stderr.
    if (process.env.MEDIC_BENCH_HUB_LOG) {
      child.stdout.on('data', (d: Buffer) => {
        for (const line of String(d).split('\n'))
          if (/"level":(40|50|60)/.test(line)) process.stderr.write(`${line}\n`);
      });
      child.stderr.pipe(process.stderr);
    }
    const started = () => /medic hub serving on (http:\/\/[0-9.:]+)/.exec(out)?.[1];
    while (!started()) {
      if (child.exitCode !== null) throw new Error(`medic hub exited ${child.exitCode}: ${out}`);
      await sleep(50);
    }
    return { child, url: started()! };
  };
  const { child: hub, url: hubUrl } = await spawnHub();
  const pool = new pg.Pool({ connectionString: url, max: IN_FLIGHT + 2 });
  try {
    const { createHash } = await import('node:crypto');
    const secrets: string[] = [];
    for (let i = 0; i < NODES; i++) secrets.push(`medic_bench_${i}_${randomBytes(16).toString('base64url')}`);
    for (let i = 0; i < NODES; i += 500) {
      const rows = secrets
        .slice(i, i + 500)
        .map((s, j) => [
          `agent-${i + j}`,
          'agent',
          `n${i + j}`,
          createHash('sha256').update(s).digest('hex'),
          Date.now(),
        ]);
      await pool.query(
        `INSERT INTO agent_tokens (name, role, node, hash, created_at) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])`,
        [0, 1, 2, 3, 4].map((k) => rows.map((r) => r[k])),
      );
    }
    if (process.env.MEDIC_BENCH_FLEET_ONLY === 'budget') {
      await budgetSection(hubUrl, secrets, pool, spawnHub, hub.pid);
      return;
    }
    const cursors = new Array<number>(NODES).fill(0);
    const post = async (i: number, body: unknown) => {
      const res = await fetch(hubUrl + SHIP_PATH, {
        method: 'POST',
        headers: { authorization: `Bearer ${secrets[i]}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const answer = (await res.json()) as { cursor: number };
      if (!res.ok) throw new Error(`ship ${res.status}: ${JSON.stringify(answer)}`);
      return answer;
    };
    // Full views (the status page's cards show every field): 3 of 20 in cooldown, the rest healthy.
    const views = () =>
      Array.from({ length: SERVICES }, (_, k) =>
        syntheticView(`svc-${k}`, k % 7 === 0 ? 'cooldown' : 'healthy', Date.now()),
      );
    // Register every node with its 20 services.
    for (let i = 0; i < NODES; i += IN_FLIGHT)
      await Promise.all(
        Array.from({ length: Math.min(IN_FLIGHT, NODES - i) }, (_, k) =>
          post(i + k, {
            node: `n${i + k}`,
            version: 'bench',
            after: null,
            events: [],
            services: views(),
          }),
        ),
      );
    // A valid EventKind: the status page's cards read these events through the hub's schema.
    const event = (id: number, kind = 'restart_blocked') => ({
      id,
      at: Date.now(),
      service: 'svc-1',
      kind,
      decision: 'restart',
      actor: null,
      reason: 'bench',
    });
    const batchOf = (i: number) => {
      const after = cursors[i]!;
      const events = Array.from({ length: BATCH }, (_, k) => event(after + k + 1));
      cursors[i] = after + BATCH;
      return { node: `n${i}`, version: 'bench', after, events, services: [] };
    };

    // 1. Ingest throughput vs raw multi-row INSERT.
    let lastCount = 0;
    const timed = async (fn: (slot: number) => Promise<void>) => {
      let n = 0;
      const end = performance.now() + BUDGET_MS;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async (_, slot) => {
          while (performance.now() < end) {
            await fn(slot);
            n += BATCH;
          }
        }),
      );
      lastCount = n;
      return n / ((performance.now() - t0) / 1000);
    };
    let next = 0;
    const from = process.hrtime.bigint() / 1000n;
    let cpu = cpuSnapshot(hub.pid);
    const hubRate = await timed(async () => {
      const i = next++ % NODES;
      await post(i, batchOf(i));
    });
    // CLOCK_MONOTONIC in µs, the clock of a .cpuprofile's timestamps: the analyser's --window.
    if (process.env.MEDIC_BENCH_HUB_CPU_PROF)
      console.log(`ingest window (monotonic µs): ${from} ${process.hrtime.bigint() / 1000n}`);
    const hubCpu = cpuPerUnit(cpu, cpuSnapshot(hub.pid), lastCount);
    await pool.query('CREATE TABLE bench_events (LIKE fleet_events INCLUDING ALL)');
    let rawId = 0;
    cpu = cpuSnapshot(undefined);
    const rawRate = await timed(async (slot) => {
      const values: unknown[] = [];
      const rows: string[] = [];
      for (let k = 0; k < BATCH; k++) {
        const e = event(++rawId);
        const b = values.length;
        rows.push(`($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7})`);
        values.push(`raw${slot}`, e.id, e.at, e.service, e.kind, JSON.stringify(e), Date.now());
      }
      await pool.query(
        `INSERT INTO bench_events (node, event_id, at, service, kind, event, received_at) VALUES ${rows.join(',')} ON CONFLICT DO NOTHING`,
        values,
      );
    });
    report({
      bench: 'fleet',
      metric: `ingest events/s (${NODES} nodes, batches of ${BATCH})`,
      value: hubRate,
      unit: 'ev/s',
      baseline: { name: 'raw pg multi-row INSERT', value: rawRate },
      goal: '≥ 0.5x',
    });
    const rawCpu = cpuPerUnit(cpu, cpuSnapshot(undefined), lastCount);
    console.log(
      `ingest CPU µs/event: hub process ${hubCpu.child}, bench client ${hubCpu.self}, rest (PostgreSQL, others) ${hubCpu.rest}` +
        ` | raw INSERT: bench client ${rawCpu.self}, rest ${rawCpu.rest}`,
    );
    if (process.env.MEDIC_BENCH_FLEET_ONLY === 'ingest') return;

    // 2. services(first: 100) at N×20 services.
    const gql = async (query: string) => {
      const res = await fetch(`${hubUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${viewer}` },
        body: JSON.stringify({ query }),
      });
      return (await res.json()) as { data: { servicePage: { endCursor: string } } };
    };
    /** `samples` pages at random positions, each timed over HTTP and as the same raw SQL page. */
    const pages = async (samples: number, label?: string) => {
      const pageMs: number[] = [];
      const rawMs: number[] = [];
      const windows: [number, number][] = [];
      for (let k = 0; k < samples; k++) {
        const after = `n${Math.floor(Math.random() * NODES)}/svc-${Math.floor(Math.random() * SERVICES)}`;
        let t = performance.now();
        await gql(
          `{ servicePage(first: 100, after: "${after}") { nodes { id name state unit updatedAt } hasNextPage endCursor } }`,
        );
        pageMs.push(performance.now() - t);
        windows.push([t, performance.now()]);
        const [n, s] = after.split('/');
        t = performance.now();
        await pool.query(
          'SELECT * FROM fleet_services WHERE (node > $1 OR (node = $1 AND name > $2)) ORDER BY node, name LIMIT 101',
          [n, s],
        );
        rawMs.push(performance.now() - t);
      }
      if (label) {
        // Where the tail came from: the slowest pages beside the raw SQL page timed right after
        // each (slow too: PostgreSQL or the machine) and the hub's GC pauses during each.
        const slowest = pageMs
          .map((ms, i) => ({ ms, i }))
          .sort((a, b) => b.ms - a.ms)
          .slice(0, 4)
          .map(({ ms, i }) => {
            const [from, to] = windows[i]!;
            const during = gcPauses.filter((g) => g.at >= from && g.at <= to + 5);
            const gc = `${during.reduce((a, g) => a + g.ms, 0).toFixed(1)} ms${during.some((g) => g.kind !== 'Scavenge') ? ' with a full GC' : ''}`;
            return `${ms.toFixed(1)} ms (raw ${rawMs[i]!.toFixed(1)} ms${process.env.MEDIC_BENCH_HUB_TRACE_GC ? `, hub GC ${gc}` : ''})`;
          });
        console.log(`services page, ${label}: slowest pages ${slowest.join(', ')}`);
      }
      return { pageMs, rawMs };
    };
    // 2a. Right after the bulk ingest (context, no goal): PostgreSQL's background work on the
    // tables the ingest filled (autovacuum, the checkpoint its WAL triggers) runs meanwhile.
    const seen = new Set<string>();
    const checkpoints0 = await checkpoints(pool);
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        for (const r of (await pool.query<{ query: string }>(AUTOVACUUM_NOW)).rows)
          seen.add(r.query || 'an autovacuum worker');
        await sleep(100);
      }
    })();
    const cold = await pages(200, 'right after the ingest');
    watching = false;
    await watcher;
    console.log(
      `services page right after the ingest: checkpoints ${(await checkpoints(pool)) - checkpoints0}, autovacuum seen: ${seen.size ? [...seen].join('; ') : 'none'}`,
    );
    report({
      bench: 'fleet',
      metric: `services(first: 100) p99 right after the ingest (context) at ${NODES * SERVICES} services`,
      value: pct(cold.pageMs, 99),
      unit: 'ms',
      baseline: { name: 'raw SQL page', value: pct(cold.rawMs, 99) },
    });
    // 2b. Steady state (the goal): wait until autovacuum has nothing due on the ingest's tables
    // and has not run for 2 s (settle, at most 120 s), then 20 pages not counted (warm-up),
    // then the 200 samples.
    const settled = await settle(pool);
    console.log(
      `services page: PostgreSQL settled after ${(settled.ms / 1000).toFixed(1)} s (${settled.seen.join('; ') || 'nothing due'})`,
    );
    await pages(20);
    const pagesFrom = process.hrtime.bigint() / 1000n;
    const { pageMs, rawMs } = await pages(200, 'steady state');
    if (process.env.MEDIC_BENCH_HUB_CPU_PROF)
      console.log(`steady pages window (monotonic µs): ${pagesFrom} ${process.hrtime.bigint() / 1000n}`);
    report({
      bench: 'fleet',
      metric: `services(first: 100) p50 at ${NODES * SERVICES} services`,
      value: pct(pageMs, 50),
      unit: 'ms',
      baseline: { name: 'raw SQL page', value: pct(rawMs, 50) },
    });
    report({
      bench: 'fleet',
      metric: `services(first: 100) p99 at ${NODES * SERVICES} services`,
      value: pct(pageMs, 99),
      unit: 'ms',
      baseline: { name: 'raw SQL page', value: pct(rawMs, 99) },
      goal: '≤ 50 ms',
    });

    // 2c. The status page's cards at N×20 services (bench/fleet-page.ts).
    await statusPageSection(hubUrl, viewer, NODES);

    // 3. Event → subscriber latency under ~1,000 events/s of background traffic.
    const abort = new AbortController();
    const res = await fetch(`${hubUrl}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        authorization: `Bearer ${viewer}`,
      },
      body: JSON.stringify({
        // kinds are EventKind values since the hub shares the agent's types (issue 15, one schema).
        query: 'subscription { recoveryEvents(node: "n0", kinds: [restart_decided]) { eventId } }',
      }),
      signal: abort.signal,
    });
    const arrived = new Map<number, number>();
    void (async () => {
      const reader = res.body!.getReader();
      const dec = new TextDecoder();
      let buf = '';
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buf += dec.decode(value, { stream: true });
          for (const m of buf.matchAll(/"eventId":(\d+)/g))
            if (!arrived.has(Number(m[1]))) arrived.set(Number(m[1]), performance.now());
          buf = buf.slice(buf.lastIndexOf('\n'));
        }
      } catch {
        // aborted
      }
    })();
    await sleep(500);
    let background = true;
    const bg = (async () => {
      // 10 batches of 10 events every 100 ms, from nodes other than n0: ~1,000 events/s.
      let k = 1;
      while (background) {
        const t = performance.now();
        await Promise.all(
          Array.from({ length: 10 }, () => {
            const i = 1 + (k++ % (NODES - 1));
            const after = cursors[i]!;
            cursors[i] = after + 10;
            return post(i, {
              node: `n${i}`,
              version: 'bench',
              after,
              events: Array.from({ length: 10 }, (_, j) => event(after + j + 1)),
              services: [],
            });
          }),
        );
        await sleep(Math.max(0, 100 - (performance.now() - t)));
      }
    })();
    const latencies: number[] = [];
    for (let k = 0; k < 60; k++) {
      const id = cursors[0]! + 1;
      cursors[0] = id;
      const t = performance.now();
      await post(0, {
        node: 'n0',
        version: 'bench',
        after: id - 1,
        events: [event(id, 'restart_decided')],
        services: [],
      });
      while (!arrived.has(id) && performance.now() - t < 5000) await sleep(2);
      latencies.push((arrived.get(id) ?? Number.POSITIVE_INFINITY) - t);
      await sleep(50);
    }
    background = false;
    await bg;
    abort.abort();
    report({
      bench: 'fleet',
      metric: 'event shipped → hub subscriber p50 (1k ev/s bg)',
      value: pct(latencies, 50),
      unit: 'ms',
    });
    report({
      bench: 'fleet',
      metric: 'event shipped → hub subscriber p99 (1k ev/s bg)',
      value: pct(latencies, 99),
      unit: 'ms',
      goal: '≤ 1000 ms',
    });

    // 4. Hub RSS at N×20 services, after all of the above.
    const rss =
      Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${hub.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
    report({
      bench: 'fleet',
      metric: `hub RSS at ${NODES * SERVICES} services`,
      value: rss,
      unit: 'MB',
      goal: '≤ 300 MB',
    });

    // 5. The fleet restart budget (issue 16); MEDIC_BENCH_FLEET_ONLY=hub stops before it.
    if (process.env.MEDIC_BENCH_FLEET_ONLY !== 'hub')
      await budgetSection(hubUrl, secrets, pool, spawnHub, hub.pid);
  } finally {
    hub.kill('SIGTERM');
    await new Promise((r) => hub.once('exit', r));
    await pool.end();
  }
}
