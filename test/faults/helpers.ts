/**
 * `medic serve` as a real child process for the fault tests: started on port 0, its URL read
 * from its "medic serving on" log line; readiness polled over HTTP; the store read through a
 * separate connection (WAL: readers never block the server).
 */
import type { ChildProcess } from 'node:child_process';
import type { AuditEvent } from '../../src/core/audit.js';
import { openStore } from '../../src/store/sqlite.js';
import { medicChild } from '../watchdog/helpers.js';

export type Served = ChildProcess & { output: () => string; url: string };

export const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((r) => child.once('exit', () => r()));

/** Starts `medic serve --contract FILE` and resolves with its URL once it listens. */
export async function startServe(
  contract: string,
  env: Record<string, string>,
  timeoutMs = 20_000,
): Promise<Served> {
  const child = medicChild(['serve', '--contract', contract], { MEDIC_PORT: '0', LOG_LEVEL: 'info', ...env });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = /"url":"(http:\/\/[^"]+)"[^\n]*medic serving on/.exec(child.output());
    if (m) return Object.assign(child, { url: m[1]! });
    if (child.exitCode !== null) throw new Error(`medic serve exited ${child.exitCode}:\n${child.output()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`medic serve did not listen:\n${child.output()}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function stopServe(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  await exited(child);
}

export async function readyz(
  url: string,
): Promise<{ status: number; body: { ready: boolean; reasons: string[] } }> {
  const res = await fetch(`${url}/readyz`);
  return { status: res.status, body: (await res.json()) as { ready: boolean; reasons: string[] } };
}

/** Polls until `pred` holds; returns its value. */
export async function until<T>(
  what: string,
  pred: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  timeoutMs = 15_000,
  everyMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Every event of the store at `db` (read through its own connection). */
export function storedEvents(db: string): AuditEvent[] {
  const store = openStore(db, { check: false });
  try {
    const out: AuditEvent[] = [];
    let after: number | undefined;
    for (;;) {
      const page = store.listEvents({ first: 500, ...(after ? { after } : {}) });
      out.push(...page.events);
      if (!page.hasMore || page.events.length === 0) return out;
      after = page.events[page.events.length - 1]!.id;
    }
  } finally {
    store.close();
  }
}
