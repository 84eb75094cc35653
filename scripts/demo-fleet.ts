/**
 * `npm run demo:fleet`: the fleet on loopback — a throwaway PostgreSQL (scripts/with-postgres.sh,
 * or MEDIC_HUB_DATABASE_URL to use your own), one `medic hub` and three agents (`medic serve`,
 * process backend) whose services crash now and then, each shipping to the hub. Prints where to
 * look and a token to look with; runs until Ctrl-C (or MEDIC_DEMO_DURATION_SEC). Ports: the hub on
 * MEDIC_DEMO_HUB_PORT (default 4200; 0 = any), agents on free ports. Data in a temp directory.
 * Exit codes: 0 ok, 2 no PostgreSQL or a process did not start.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const medic = join(root, 'bin', 'medic.mjs');
const say = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dbUrl = process.env.MEDIC_HUB_DATABASE_URL ?? process.env.MEDIC_TEST_PG_URL;
if (!dbUrl) {
  say(`demo:fleet needs PostgreSQL: ${process.env.MEDIC_TEST_PG_SKIP ?? 'set MEDIC_HUB_DATABASE_URL'}`);
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'medic-fleet-demo-'));
const children: ChildProcess[] = [];
const stop = () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

function start(
  name: string,
  args: string[],
  env: Record<string, string>,
): ChildProcess & { out: () => string } {
  let out = '';
  const child = spawn(process.execPath, [medic, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  child.once('exit', (code) => say(`  ${name} exited (${code})`));
  children.push(child);
  return Object.assign(child, { out: () => out });
}

function token(args: string[]): string {
  return execFileSync(process.execPath, [medic, 'token', 'create', ...args], {
    env: { ...process.env, MEDIC_HUB_DATABASE_URL: dbUrl },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  })
    .trim()
    .split('\n')
    .at(-1)!;
}

async function until<T>(what: string, fn: () => T | undefined, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) {
      say(`demo:fleet: ${what} did not happen within ${ms / 1000} s`);
      stop();
      process.exit(2);
    }
    await sleep(100);
  }
}

/** A conda-layout folder whose bin/python is this machine's python3 (conda is not needed). */
function conda(base: string) {
  const prefix = join(base, 'conda', 'envs', 'demo');
  mkdirSync(join(prefix, 'conda-meta'), { recursive: true });
  mkdirSync(join(prefix, 'bin'), { recursive: true });
  writeFileSync(join(prefix, 'conda-meta', 'history'), '==> 2024-01-01 00:00:00 <==\n');
  const python3 = execFileSync('sh', ['-c', 'command -v python3'], { encoding: 'utf8' }).trim();
  symlinkSync(python3, join(prefix, 'bin', 'python'));
  const version = execFileSync(
    python3,
    ['-c', 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")'],
    { encoding: 'utf8' },
  ).trim();
  return { root: join(base, 'conda'), env: 'demo', python: version };
}

const policy = {
  failureThreshold: 1,
  startupGraceSec: 2,
  cooldownSec: 3,
  maxRestarts: 4,
  windowSec: 120,
  backoff: { initialSec: 3, factor: 2, maxSec: 12 },
  stableSec: 30,
  circuit: { openSec: 60, maxOpenSec: 600, hardStop: false },
};

function contract(node: number): string {
  const base = join(dir, `agent-${node}`);
  mkdirSync(base, { recursive: true });
  // Each node's `worker` crashes after a different while; `api` stays up.
  const crashAfter = 4 + node * 3;
  const doc = {
    version: 1,
    supervisor: { kind: 'process', scope: 'user' },
    conda: conda(base),
    policies: { demo: policy },
    services: [
      {
        name: 'api',
        unit: 'api.service',
        command: ['python', '-c', 'import time; time.sleep(86400)'],
        policy: 'demo',
      },
      {
        name: 'worker',
        unit: 'worker.service',
        command: ['python', '-c', `import time, sys; time.sleep(${crashAfter}); sys.exit(3)`],
        policy: 'demo',
      },
    ],
  };
  const file = join(base, 'contract.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}

say('medic demo:fleet: one hub, three agents with a crashing worker each, on loopback');
say(`  data       ${dir}`);
const viewer = token(['--name', 'demo-viewer', '--role', 'viewer']);
const operator = token(['--name', 'demo-operator', '--role', 'operator']);
const hub = start('hub', ['hub'], {
  MEDIC_HUB_DATABASE_URL: dbUrl,
  MEDIC_HOST: '127.0.0.1',
  MEDIC_PORT: process.env.MEDIC_DEMO_HUB_PORT ?? '4200',
  MEDIC_HUB_SILENCE_SEC: '10',
  LOG_LEVEL: 'info',
});
const hubUrl = await until(
  'the hub start',
  () => /medic hub serving on (http:\/\/[0-9.:]+)/.exec(hub.out())?.[1],
);
for (const n of [1, 2, 3]) {
  const node = `demo-${n}`;
  const agentToken = token(['--name', node, '--role', 'agent', '--node', node]);
  start(node, ['serve', '--contract', contract(n)], {
    MEDIC_DB: join(dir, `agent-${n}`, 'medic.db'),
    MEDIC_HOST: '127.0.0.1',
    MEDIC_PORT: '0',
    MEDIC_DRIFT_INTERVAL_SEC: '3600',
    MEDIC_HUB_URL: hubUrl,
    MEDIC_HUB_TOKEN: agentToken,
    MEDIC_NODE_NAME: node,
    MEDIC_HUB_SHIP_INTERVAL_MS: '1000',
    LOG_LEVEL: 'warn',
  });
}
const gql = async (query: string) => {
  const res = await fetch(`${hubUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${viewer}` },
    body: JSON.stringify({ query }),
  });
  return ((await res.json()) as { data?: { nodes: { name: string; state: string }[] } }).data;
};
let connected = 0;
const end = Date.now() + 60_000;
while (connected < 3 && Date.now() < end) {
  await sleep(500);
  connected =
    (await gql('{ nodes { name state } }').catch(() => undefined))?.nodes.filter(
      (n) => n.state === 'connected',
    ).length ?? 0;
}
if (connected < 3) {
  say('demo:fleet: the agents did not all reach the hub within 60 s');
  stop();
  process.exit(2);
}
say(`  hub        ${hubUrl}   (3 agents connected: demo-1, demo-2, demo-3)`);
say(`  viewer     ${viewer}`);
say(`  operator   ${operator}`);
say('');
say('Look at the fleet:');
say(
  `  curl -s ${hubUrl}/graphql -H "authorization: Bearer ${viewer}" -H 'content-type: application/json' \\`,
);
say(
  `    -d '{"query":"{ nodes { name state counts { state count } } services(first: 20) { id node name state recommendedAction { summary } } }"}'`,
);
say("Hold a worker from the hub (run by that node's agent, through its own guards):");
say(
  `  curl -s ${hubUrl}/graphql -H "authorization: Bearer ${operator}" -H 'content-type: application/json' \\`,
);
say(
  `    -d '{"query":"mutation { holdService(node: \\"demo-2\\", name: \\"worker\\", ttlSec: 300, reason: \\"demo\\") { __typename ... on Service { id state hold { actor until } } ... on PendingCommand { message } ... on MutationError { code message } } }"}'`,
);
say(`Metrics: curl -s -H "authorization: Bearer ${viewer}" ${hubUrl}/metrics | grep medic_node`);
say('Stop an agent (kill its process) and watch it go unreachable after 10 s. Ctrl-C ends the demo.');
const duration = Number(process.env.MEDIC_DEMO_DURATION_SEC ?? 0);
if (duration > 0) {
  await sleep(duration * 1000);
  stop();
} else await new Promise<void>((r) => process.once('SIGINT', () => r()));
await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)));
say('demo:fleet: stopped');
