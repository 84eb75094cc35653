/**
 * One fleet budget scene for the view tests (issue 16): a real hub on a fresh PostgreSQL and a
 * real `medic serve` agent (node-a, process backend) running `api` in the group `views`
 * (maxConcurrent 1, onHubUnreachable wait). `fill()` takes the group's only slot for another node
 * (node-z/db) at the hub; `crash()` kills the agent's service so it waits; `free()` ends that
 * lease so the service gets its turn. Tokens: a hub viewer, an agent viewer (`MEDIC_URL` /
 * `MEDIC_TOKEN` pairs for the CLI).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { systemClock } from '../../src/clock/clock.js';
import { loadEnv } from '../../src/config/env.js';
import { finishLease, requestLease } from '../../src/hub/budget.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { createHubToken } from '../../src/hub/tokens.js';
import { createLogger } from '../../src/log.js';
import { runMedic } from '../helpers/cli.js';
import { waitFor } from '../helpers/systemd.js';
import { type AgentProcess, startAgent } from './agent-process.js';
import { freshDatabase } from './pg.js';

export const SCENE_POLICY = {
  failureThreshold: 1,
  startupGraceSec: 5,
  cooldownSec: 1,
  maxRestarts: 100,
  windowSec: 600,
  backoff: { initialSec: 1, factor: 1, maxSec: 1 },
  budget: {
    group: 'views',
    maxConcurrent: 1,
    maxPerWindow: 100,
    windowSec: 300,
    onHubUnreachable: 'wait',
    timeoutMs: 2000,
  },
};

export interface BudgetScene {
  hub: RunningHub;
  agent: AgentProcess;
  atHub: { MEDIC_URL: string; MEDIC_TOKEN: string };
  atAgent: { MEDIC_URL: string; MEDIC_TOKEN: string };
  servicePid(): number | null;
  fill(): Promise<void>;
  crash(): void;
  free(): Promise<void>;
  close(): Promise<void>;
}

export async function startBudgetScene(
  mark: string,
  hubEnv: Record<string, string> = {},
): Promise<BudgetScene> {
  const hub = await startHub({
    env: loadEnv({ MEDIC_HUB_DATABASE_URL: await freshDatabase(), MEDIC_PORT: '0', ...hubEnv }),
    logger: createLogger('silent'),
  });
  const db = hub.database.db;
  const atHub = { MEDIC_URL: hub.url, MEDIC_TOKEN: await createHubToken(db, 'grafana', 'viewer', null, 0) };
  const agent = startAgent({
    hubUrl: hub.url,
    token: await createHubToken(db, 'agent-a', 'agent', 'node-a', 0),
    node: 'node-a',
    service: { name: 'api', python: `import time; mark = '${mark}'; time.sleep(3600)`, policy: SCENE_POLICY },
  });
  /** The pid of the agent's Python service (its command line carries `mark`). */
  const servicePid = (): number | null => {
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
        if (cmd.includes(mark) && cmd.includes('time.sleep')) return Number(d);
      } catch {
        // gone meanwhile
      }
    }
    return null;
  };
  const agentUrl = await waitFor(
    () => /medic serving on (http:\/\/[0-9.:]+)/.exec(agent.child.output())?.[1],
    60_000,
    100,
  ).catch((err) => {
    throw new Error(`${err.message}\n${agent.child.output().slice(-3000)}`);
  });
  await waitFor(servicePid, 30_000, 100);
  const token = await runMedic(['token', 'create', '--name', 'local', '--role', 'viewer'], {
    env: { MEDIC_DB: agent.db },
  });
  const atAgent = { MEDIC_URL: agentUrl, MEDIC_TOKEN: token.out.trimEnd().split('\n').at(-1)! };
  const limits = { maxConcurrent: 1, maxPerWindow: 100, windowSec: 300, leaseTtlSec: 600 };
  return {
    hub,
    agent,
    atHub,
    atAgent,
    servicePid,
    async fill() {
      const blocker = await requestLease(
        db,
        'views',
        limits,
        { id: 'blocker', node: 'node-z', service: 'db', operator: false },
        systemClock,
      );
      if (!blocker.granted) throw new Error('the blocker lease was not granted');
    },
    crash() {
      process.kill(servicePid()!, 'SIGKILL');
    },
    async free() {
      if (!(await finishLease(db, 'blocker', Date.now()))) throw new Error('no blocker lease to end');
    },
    async close() {
      if (agent.child.exitCode === null) agent.child.kill('SIGKILL');
      const pid = servicePid();
      if (pid) process.kill(pid, 'SIGKILL');
      await hub.close().catch(() => {});
    },
  };
}
