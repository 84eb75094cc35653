/**
 * The kill -9 test (promise 4): a child process feeds random inputs through the real engine
 * and store as fast as it can and is SIGKILLed at random points, several rounds on one DB.
 * After each round nothing it reported as committed may be missing, and the stored states,
 * counters and decisions must equal a replay through decide() of the committed events
 * (an event written after counted repeats carries the state it was decided from, `data.from`;
 * a stored state may be ahead of the log only by counted repeats of the open refusal).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/core/audit.js';
import { decide } from '../../src/core/decide.js';
import { countersOf } from '../../src/core/events.js';
import { blockedTotal, initialState } from '../../src/core/state.js';
import type { ServiceState } from '../../src/core/types.js';
import { openStore } from '../../src/store/sqlite.js';
import { CRASH_SERVICES, rng } from '../fixtures/store-crash-config.js';
import { tempDir } from './helpers.js';

interface Round {
  events: number[];
  executed: number[];
  exitedByItself: boolean;
}

/** Runs the child until `ready`, lets it work `workMs`, then SIGKILLs it. */
function round(db: string, seed: number, workMs: number): Promise<Round> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/fixtures/store-crash-child.ts', db, String(seed)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const res: Round = { events: [], executed: [], exitedByItself: false };
  let buf = '';
  let killed = false;
  return new Promise((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!; // a torn last line was not fully reported: ignore it
      for (const line of lines) {
        const [tag, n] = line.split(' ');
        if (tag === 'e') res.events.push(Number(n));
        else if (tag === 'x') res.executed.push(Number(n));
        else if (tag === 'ready' && !killed) {
          killed = true;
          setTimeout(() => child.kill('SIGKILL'), workMs);
        }
      }
    });
    child.on('exit', (_code, signal) => {
      res.exitedByItself = signal !== 'SIGKILL';
      resolve(res);
    });
  });
}

function replay(events: AuditEvent[]): Map<string, ServiceState> {
  const states = new Map<string, ServiceState>();
  for (const e of events) {
    if (e.decision === null) continue;
    const svc = CRASH_SERVICES.find((s) => s.name === e.service)!;
    const from = (e.data?.from as ServiceState | undefined) ?? states.get(svc.name) ?? initialState();
    const d = decide(from, e.input!, e.at, svc.policy);
    expect({ id: e.id, decision: d.decision, to: d.next.tag, effects: d.effects }).toEqual({
      id: e.id,
      decision: e.decision,
      to: e.stateTo,
      effects: e.effects,
    });
    expect(e.counters).toEqual(countersOf(d.next, e.at, svc.policy));
    states.set(svc.name, d.next);
  }
  return states;
}

describe('kill -9', () => {
  it('loses no committed decision and replays to the stored state after random SIGKILLs', async () => {
    const db = join(tempDir(), 'medic.db');
    const r = rng(20260101);
    const reported: number[] = [];
    const executed: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await round(db, 1000 + i, 30 + Math.floor(r() * 400));
      expect(res.exitedByItself).toBe(false);
      reported.push(...res.events);
      executed.push(...res.executed);
    }

    const raw = new Database(db, { readonly: true });
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    const versions = new Map(
      (
        raw.prepare('SELECT service, version FROM service_state').all() as {
          service: string;
          version: number;
        }[]
      ).map((v) => [v.service, v.version]),
    );
    const intentIds = new Set(raw.prepare('SELECT id FROM intents').pluck().all() as number[]);
    raw.close();

    const store = openStore(db);
    const events: AuditEvent[] = [];
    for (let after = 0; ; ) {
      const page = store.listEvents({ after, first: 500 });
      events.push(...page.events);
      if (!page.hasMore) break;
      after = page.events[page.events.length - 1].id;
    }
    const ids = events.map((e) => e.id);
    expect(reported.length).toBeGreaterThan(50); // the rounds really did work
    // Nothing committed is lost, nothing is duplicated: ids are exactly 1..N.
    expect(ids).toEqual(ids.map((_, i) => i + 1));
    expect(new Set(reported).size).toBe(reported.length);
    const stored = new Set(ids);
    expect(reported.filter((id) => !stored.has(id))).toEqual([]);
    // Every effect the executor started had a committed intent, and none ran twice (no re-execution).
    expect(executed.filter((id) => !intentIds.has(id))).toEqual([]);
    expect(new Set(executed).size).toBe(executed.length);

    const replayed = replay(events);
    const services = store.loadServices();
    for (const s of services) {
      const written = events.filter((e) => e.service === s.name && e.decision !== null).length;
      const replayedState = replayed.get(s.name)!;
      // One state version per written decision or counted repeat: never fewer than the log.
      expect(versions.get(s.name)).toBeGreaterThanOrEqual(written);
      if (versions.get(s.name) === written || JSON.stringify(s.state) === JSON.stringify(replayedState)) {
        expect(s.state).toEqual(replayedState);
      } else {
        // Counted repeats after the last event: the same episode, only more refusals counted.
        expect(s.state.tag).toBe(replayedState.tag);
        expect(blockedTotal(s.state.churn)).toBeGreaterThan(blockedTotal(replayedState.churn));
      }
    }
    expect(services.map((s) => s.name).sort()).toEqual([...replayed.keys()].sort());
    store.close();
  }, 120_000);
});
