/**
 * `systemctl` through execFile — never a shell string — with validated unit names.
 * Used by the polling fallback, the systemctl executor and crash-safety reconciliation when
 * D-Bus is not available.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { assertUnitName } from '../contract/unit-name.js';
import { type Scope, scopeFlags } from './scope.js';
import type { UnitStatus } from './status.js';

const run = promisify(execFile);

export const SHOW_PROPS = [
  'Id',
  'LoadState',
  'ActiveState',
  'SubState',
  'Result',
  'ExecMainCode',
  'ExecMainStatus',
  'ExecMainStartTimestamp',
  'ExecMainExitTimestampMonotonic',
  'ExecMainExitTimestamp',
  'NRestarts',
  'InvocationID',
  'Restart',
] as const;

/** `systemctl [--user] ARGS...`; unit names must already be validated by the caller. */
export async function systemctlRun(scope: Scope, args: string[], timeoutMs = 90_000): Promise<string> {
  const { stdout } = await run('systemctl', [...scopeFlags(scope), ...args], { timeout: timeoutMs });
  return stdout;
}

/** `Sat 2026-11-28 06:05:54.539974 UTC` (--timestamp=us+utc) → µs since the epoch; '' → 0. */
export function parseUsTimestamp(text: string): number {
  const m = /(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))? UTC/.exec(text);
  if (!m) return 0;
  const [, y, mo, d, h, mi, s, frac = '0'] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  return ms * 1000 + Number(frac.padEnd(6, '0'));
}

/** Parses `systemctl show` output of one or more units (blocks separated by blank lines). */
export function parseShow(out: string): Map<string, UnitStatus> {
  const result = new Map<string, UnitStatus>();
  for (const block of out.split(/\n\s*\n/)) {
    const p: Record<string, string> = {};
    for (const line of block.split('\n')) {
      const i = line.indexOf('=');
      if (i > 0) p[line.slice(0, i)] = line.slice(i + 1);
    }
    if (!p.Id) continue;
    const n = (v: string | undefined) => (v && /^\d+$/.test(v) ? Number(v) : 0);
    result.set(p.Id, {
      loadState: p.LoadState ?? 'loaded',
      activeState: p.ActiveState ?? 'inactive',
      subState: p.SubState ?? 'dead',
      result: p.Result ?? 'success',
      execMainCode: n(p.ExecMainCode),
      execMainStatus: n(p.ExecMainStatus),
      execMainStartUs: parseUsTimestamp(p.ExecMainStartTimestamp ?? ''),
      execMainExitMono: n(p.ExecMainExitTimestampMonotonic),
      execMainExitUs: parseUsTimestamp(p.ExecMainExitTimestamp ?? ''),
      nRestarts: n(p.NRestarts),
      invocationId: p.InvocationID ?? '',
      restart: p.Restart ?? 'no',
    });
  }
  return result;
}

/** Status of several units in one `systemctl show` call. */
export async function showUnits(scope: Scope, units: string[]): Promise<Map<string, UnitStatus>> {
  if (units.length === 0) return new Map();
  for (const u of units) assertUnitName(u);
  const out = await systemctlRun(
    scope,
    ['show', '--timestamp=us+utc', '-p', SHOW_PROPS.join(','), '--', ...units],
    30_000,
  );
  return parseShow(out);
}
