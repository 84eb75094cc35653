/** Engine test rig: a real store on a temp file, a SimulatedClock, a recording executor. */
import { Writable } from 'node:stream';
import { afterEach } from 'vitest';
import { SimulatedClock } from '../../src/clock/clock.js';
import type { MaintenanceWindow } from '../../src/contract/maintenance/active.js';
import { type Policy, type PolicyInput, policySchema } from '../../src/core/policy.js';
import type { Effect } from '../../src/core/types.js';
import { createEngine } from '../../src/engine/engine.js';
import type {
  Engine,
  ExecResult,
  Executor,
  RemoteDependencyPort,
  ServiceConfig,
} from '../../src/engine/types.js';
import { createLogger } from '../../src/log.js';
import { openStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/types.js';
import { tempDir } from '../store/helpers.js';

export const policy = (p: PolicyInput = {}): Policy => policySchema.parse(p);

export class RecordingExecutor implements Executor {
  readonly calls: { service: string; effect: Effect }[] = [];
  /** Runs inside execute(), before it answers (e.g. to inspect the DB). */
  during: (service: ServiceConfig, effect: Effect) => void | Promise<void> = () => {};
  result: () => ExecResult | Promise<ExecResult> = () => ({ ok: true });

  async execute(service: ServiceConfig, effect: Effect): Promise<ExecResult> {
    this.calls.push({ service: service.name, effect });
    await this.during(service, effect);
    return this.result();
  }
}

export interface Rig {
  engine: Engine;
  store: Store;
  path: string;
  clock: SimulatedClock;
  executor: RecordingExecutor;
  /** Parsed JSON log lines. */
  logs: Record<string, unknown>[];
  /** Closes and starts the engine again on the same store (with these maintenance windows at start). */
  reopen(maintenance?: readonly MaintenanceWindow[]): Promise<Rig>;
  /** Simulates a crash: the engine is dropped without close() (its store connection is closed). */
  abandon(): void;
}

const open: { engine: Engine; store: Store }[] = [];
afterEach(async () => {
  for (const { engine, store } of open.splice(0)) {
    await engine.close();
    store.close();
  }
});

export async function rig(
  services: ServiceConfig[] = [{ name: 'api', unit: 'api.service', policy: policy() }],
  at?: {
    path?: string;
    clock?: SimulatedClock;
    remote?: RemoteDependencyPort;
    maintenance?: readonly MaintenanceWindow[];
  },
): Promise<Rig> {
  const path = at?.path ?? `${tempDir()}/medic.db`;
  const clock = at?.clock ?? new SimulatedClock();
  const store = openStore(path);
  const executor = new RecordingExecutor();
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line));
      cb();
    },
  });
  const logger = createLogger('info', sink);
  const engine = await createEngine({
    store,
    services,
    executor,
    clock,
    logger,
    ...(at?.remote ? { remote: at.remote } : {}),
    ...(at?.maintenance ? { maintenance: at.maintenance } : {}),
  });
  const entry = { engine, store };
  open.push(entry);
  const r: Rig = {
    engine,
    store,
    path,
    clock,
    executor,
    logs,
    async reopen(maintenance) {
      await engine.close();
      store.close();
      return rig(services, {
        path,
        clock,
        ...(at?.remote ? { remote: at.remote } : {}),
        ...(maintenance ? { maintenance } : {}),
      });
    },
    abandon() {
      open.splice(open.indexOf(entry), 1);
      store.close();
    },
  };
  return r;
}

/** Submits inputs one after another, advancing the clock `stepMs` before each. */
export async function feed(
  r: Rig,
  service: string,
  inputs: Parameters<Engine['submit']>[1][],
  stepMs = 1_000,
) {
  for (const input of inputs) {
    r.clock.advance(stepMs);
    await r.engine.submit(service, input);
  }
  await r.engine.idle();
}

export const FAIL3 = [{ type: 'probe_failed' }, { type: 'probe_failed' }, { type: 'probe_failed' }] as const;
