/**
 * What medic knows about one systemd unit, and how a change of it becomes inputs for decide().
 *
 * Both detection paths (D-Bus signals, `systemctl show` polling) produce the same `UnitStatus`
 * snapshots; `translate(prev, next)` is the one pure function that turns two consecutive
 * snapshots into observations, so both paths decide identically.
 */
import { FATAL_EXIT, type Input } from '../core/types.js';
import type { UnitStatus } from '../systemd/status.js';

export type { UnitStatus } from '../systemd/status.js';

export const CLD_EXITED = 1;

/** One input for decide(), with the details the audit event keeps. */
export interface Observation {
  input: Input;
  data: Record<string, unknown>;
}

/**
 * Exit code as decide() sees it: the exit status for a normal exit; 128 + signal for a process
 * killed by a signal (the shell convention), so a SIGKILLed service is a crash, not a clean exit.
 */
export function exitCodeOf(status: Pick<UnitStatus, 'execMainCode' | 'execMainStatus'>): number {
  return status.execMainCode === CLD_EXITED ? status.execMainStatus : 128 + status.execMainStatus;
}

/**
 * Whether the fate of the last exit is known: 'yes' once the unit left the running state and
 * it is clear whether systemd restarts it; 'pending' while a unit with `Restart=` set sits in
 * the (transient) failed state before systemd moves it to `auto-restart`; 'no' while running.
 */
function settledAfterExit(s: UnitStatus, final: boolean): 'yes' | 'pending' | 'no' {
  if (s.subState === 'auto-restart') return 'yes';
  if (s.activeState !== 'failed' && s.activeState !== 'inactive') return 'no';
  return s.restart === 'no' || final ? 'yes' : 'pending';
}

/**
 * Translates a status change into observations.
 *
 * - NRestarts grew → `external_restart{count}` (systemd's own restarts count as churn).
 * - A new main-process exit (new `execMainExitMono`), once the unit settled:
 *   - killed by a signal with Result=success → a requested stop (ours or an operator's): nothing;
 *   - the unit is in `auto-restart` → systemd restarts it by itself; the restart reaches decide()
 *     as `external_restart`, so the exit is not reported too (two restarts for one crash would
 *     double the churn) — except exit 78, which must open the circuit at once;
 *   - otherwise → `exited{code}` (0 = clean exit).
 * - The first snapshot (`prev` undefined) reports nothing: exits from before medic watched are
 *   judged by the state probes, never replayed (promise 4: no extra restart after a medic crash).
 *
 * `reportedExit` is the exit identity already reported; the caller keeps the returned one.
 * `pending` is true when an exit of a unit with `Restart=` was seen but systemd has not yet said
 * whether it restarts it (systemd 252 passes through `failed` first); the caller re-translates
 * the same snapshot with `final = true` after a short delay if nothing newer arrived.
 */
export function translate(
  prev: UnitStatus | undefined,
  next: UnitStatus,
  reportedExit: number,
  final = false,
): { observations: Observation[]; reportedExit: number; pending: boolean } {
  const observations: Observation[] = [];
  if (!prev) return { observations, reportedExit: next.execMainExitMono, pending: false };
  if (next.nRestarts > prev.nRestarts) {
    observations.push({
      input: { type: 'external_restart', count: next.nRestarts - prev.nRestarts },
      data: { nRestarts: next.nRestarts, lastExit: exitCodeOf(next), result: next.result },
    });
  }
  const settled = settledAfterExit(next, final);
  const newExit = next.execMainExitMono !== 0 && next.execMainExitMono !== reportedExit;
  if (newExit && settled === 'pending') return { observations, reportedExit, pending: true };
  if (newExit && settled === 'yes') {
    const code = exitCodeOf(next);
    const requestedStop = next.result === 'success' && next.execMainCode !== CLD_EXITED;
    const systemdRestarts = next.subState === 'auto-restart' && code !== FATAL_EXIT;
    if (!requestedStop && !systemdRestarts) {
      observations.push({
        input: { type: 'exited', code },
        data: {
          result: next.result,
          execMainCode: next.execMainCode,
          execMainStatus: next.execMainStatus,
          startedAt: Math.floor(next.execMainStartUs / 1000),
          exitedAt: Math.floor(next.execMainExitUs / 1000),
        },
      });
    }
    return { observations, reportedExit: next.execMainExitMono, pending: false };
  }
  return { observations, reportedExit, pending: false };
}

/**
 * The unit's state as a probe result, for services without an HTTP health check:
 * active → ok, failed → failed, anything in transition or cleanly stopped → no verdict.
 */
export function stateVerdict(s: UnitStatus | undefined): 'ok' | 'failed' | null {
  if (!s) return null;
  if (s.activeState === 'active') return 'ok';
  if (s.activeState === 'failed') return 'failed';
  return null;
}
