/**
 * Simulated agents for the fleet budget storm tests (issue 16): each is a real engine (real
 * SQLite store on a temp file, the real decide()) with the real hub client over real HTTP
 * (serve/budget.ts, its own agent token), and a simulated service behind a recording executor:
 * a restart takes `restartMs`, then the service comes up healthy when the shared dependency is
 * up, or crashes again when it is down.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { systemClock } from '../../src/clock/clock.js';
import type { AuditEvent } from '../../src/core/audit.js';
import type { Policy } from '../../src/core/policy.js';
import type { Effect } from '../../src/core/types.js';
import { createEngine } from '../../src/engine/engine.js';
import type { Engine, ExecResult, Executor } from '../../src/engine/types.js';
import { createLogger } from '../../src/log.js';
import { type AgentBudget, createAgentBudget } from '../../src/serve/budget.js';
import { openStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/types.js';
import { tempDir } from '../store/helpers.js';

export interface Dependency {
  up: boolean;
}

export interface SimAgent {
  node: string;
  engine: Engine;
  store: Store;
  budget: AgentBudget;
  /** Every decision event of the agent's service, in commit order. */
  events(): AuditEvent[];
  close(): Promise<void>;
}

class ServiceSim implements Executor {
  engine: Engine | null = null;
  constructor(
    private readonly dep: Dependency,
    private readonly restartMs: number,
  ) {}
  async execute(service: { name: string }, effect: Effect): Promise<ExecResult> {
    if (effect.type !== 'restart') return { ok: true };
    await new Promise((r) => setTimeout(r, this.restartMs));
    // Up after the restart: healthy when the dependency is up, else it crashes again at once.
    setTimeout(() => {
      const input = this.dep.up ? { type: 'probe_ok' as const } : { type: 'exited' as const, code: 1 };
      this.engine?.submit(service.name, input, { source: 'probe' }).catch(() => {});
    }, 20);
    return { ok: true };
  }
}

export async function startSimAgent(opts: {
  hubUrl: string;
  token: string;
  node: string;
  policy: Policy;
  dep: Dependency;
  restartMs: number;
  /** The agent's services (default one, `api`), all with `policy`. */
  services?: string[];
  /** Counts the hub's answers by type (for the test's report). */
  answers?: Map<string, number>;
}): Promise<SimAgent> {
  // On tmpfs when there is one: 30 engines in one process fsync their commits on the event loop
  // the hub shares here (real agents are separate processes).
  const dir = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/medic-storm-') : tempDir();
  const store = openStore(`${dir}/medic.db`);
  const sim = new ServiceSim(opts.dep, opts.restartMs);
  const logger = createLogger('silent');
  const budget = createAgentBudget({
    hubUrl: opts.hubUrl,
    token: opts.token,
    node: opts.node,
    clock: systemClock,
    logger,
    hooks: {
      answered: (_group, reply) => opts.answers?.set(reply.type, (opts.answers.get(reply.type) ?? 0) + 1),
    },
  });
  const engine = await createEngine({
    store,
    services: (opts.services ?? ['api']).map((name) => ({
      name,
      unit: `${name}.service`,
      policy: opts.policy,
    })),
    executor: sim,
    clock: systemClock,
    logger,
    node: opts.node,
    budget,
  });
  sim.engine = engine;
  return {
    node: opts.node,
    engine,
    store,
    budget,
    events: () => store.listEvents({ first: 10_000, order: 'asc' }).events.filter((e) => e.decision !== null),
    async close() {
      await engine.close();
      store.close();
      if (dir.startsWith('/dev/shm/')) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** [start, end) of every restart an agent's audit shows: from the restart decision until the state left restarting. */
export function restartIntervals(
  events: AuditEvent[],
  now: number,
): { from: number; to: number; lease: boolean }[] {
  const out: { from: number; to: number; lease: boolean }[] = [];
  let open: { from: number; lease: boolean } | null = null;
  for (const e of events) {
    if (open && e.stateTo !== 'restarting') {
      out.push({ ...open, to: e.at });
      open = null;
    }
    if (e.decision === 'restart' && e.stateTo === 'restarting') {
      open = { from: e.at, lease: e.input?.type === 'budget_granted' };
    }
  }
  if (open) out.push({ ...open, to: now });
  return out;
}

/** The most intervals open at one instant (an interval ending at t does not overlap one starting at t). */
export function peakOverlap(intervals: { from: number; to: number }[]): number {
  const points: [number, number][] = [];
  for (const i of intervals) points.push([i.from, 1], [i.to, -1]);
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cur = 0;
  let peak = 0;
  for (const [, d] of points) {
    cur += d;
    peak = Math.max(peak, cur);
  }
  return peak;
}

export async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
