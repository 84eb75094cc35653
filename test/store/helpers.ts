/** Shared helpers for the store tests: temp DB files and sample records. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { NewEvent } from '../../src/core/audit.js';
import { initialState } from '../../src/core/state.js';
import type { ServiceState } from '../../src/core/types.js';
import { openStore, type Store } from '../../src/store/sqlite.js';
import type { DecisionCommit } from '../../src/store/types.js';

const dirs: string[] = [];
const stores: Store[] = [];

afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fresh directory, removed after the test. */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'medic-store-'));
  dirs.push(d);
  return d;
}

/** A store on a fresh file (closed after the test). */
export function tempStore(file = 'medic.db'): { store: Store; path: string } {
  const path = join(tempDir(), file);
  const store = openStore(path);
  stores.push(store);
  return { store, path };
}

export function trackStore(store: Store): Store {
  stores.push(store);
  return store;
}

export function event(over: Partial<NewEvent> = {}): NewEvent {
  return {
    at: 1_000,
    service: 'api',
    kind: 'observation',
    decision: null,
    taken: null,
    input: null,
    actor: null,
    reason: null,
    stateFrom: null,
    stateTo: null,
    counters: null,
    effects: [],
    mode: null,
    data: null,
    ...over,
  };
}

const restarting = (at: number): ServiceState => ({
  tag: 'restarting',
  initiator: 'auto',
  issuedAt: at,
  graceUntil: at + 30_000,
  probe: false,
  openSec: 900,
  failures: 3,
  churn: { window: [at], totalRestarts: 1, blocked: {}, circuitOpens: 0, lastRestartAt: at, backoffLevel: 1 },
});

/** A restart decision for `service` at `at`, based on stored version `prev`. */
export function restartCommit(prev: number, at = 1_000, service = 'api'): DecisionCommit {
  const effects = [{ type: 'restart', initiator: 'auto', probe: false } as const];
  return {
    service,
    unit: `${service}.service`,
    prev,
    next: restarting(at),
    policyHash: 'h1',
    effects,
    event: event({
      at,
      service,
      kind: 'restart_decided',
      decision: 'restart',
      taken: true,
      input: { type: 'probe_failed' },
      actor: 'medic',
      reason: '3 consecutive failed probes',
      stateFrom: 'healthy',
      stateTo: 'restarting',
      counters: { restartsInWindow: 1, totalRestarts: 1, blockedAttempts: 0, circuitOpens: 0 },
      effects,
      mode: 'enforce',
    }),
  };
}

/** An outcome decision (restart_succeeded/failed) after a restart. */
export function outcomeCommit(prev: number, ok: boolean, at = 2_000, service = 'api'): DecisionCommit {
  const next = { ...initialState(), healthySince: at };
  return {
    service,
    unit: `${service}.service`,
    prev,
    next,
    policyHash: 'h1',
    effects: [],
    event: event({
      at,
      service,
      kind: 'restart_executed',
      decision: ok ? 'restart_succeeded' : 'restart_failed',
      taken: false,
      input: ok ? { type: 'restart_succeeded' } : { type: 'restart_failed', detail: 'boom' },
      actor: 'medic',
      stateFrom: 'restarting',
      stateTo: next.tag,
      mode: 'enforce',
    }),
  };
}
