/**
 * Carrying out one committed effect: the executor call (a thrown error becomes a failed
 * result, never an unhandled rejection) and what its outcome becomes — a restart's outcome is
 * an input for decide() (restart_succeeded / restart_failed, closing the intent in that
 * commit); a hard stop's outcome is a `hard_stop` audit event (not a decision).
 */

import type { Intent, NewEvent } from '../core/audit.js';
import type { Input, ServiceState } from '../core/types.js';
import { SYSTEM_ACTOR } from './audit.js';
import type { ExecResult, Executor, ServiceConfig } from './types.js';

export async function runEffect(
  executor: Executor,
  config: ServiceConfig,
  intent: Intent,
): Promise<ExecResult> {
  try {
    return await executor.execute(config, intent.effect, { intentId: intent.id, eventId: intent.eventId });
  } catch (err) {
    return { ok: false, detail: err instanceof Error ? err.message : String(err) };
  }
}

/** The input that reports a restart's outcome back to decide(). */
export function outcomeInput(result: ExecResult): Input {
  if (result.ok) return { type: 'restart_succeeded' };
  return result.result
    ? { type: 'restart_failed', detail: result.detail, result: result.result }
    : { type: 'restart_failed', detail: result.detail };
}

/**
 * The audit event recording a hard stop's outcome. `reconciled`: the stop was committed before
 * medic restarted and carried out on start (crash reconciliation) because the circuit was still open.
 */
export function hardStopEvent(
  config: ServiceConfig,
  intent: Intent,
  result: ExecResult,
  state: ServiceState,
  at: number,
  reconciled?: 'reconciled',
): NewEvent {
  if (reconciled) {
    return {
      ...hardStopEvent(config, intent, result, state, at),
      reason: result.ok
        ? `stopped ${config.unit} on start: its circuit is open and the hard stop decided before medic restarted had not run`
        : `hard stop on start failed: ${result.detail}`,
      data: { intentId: intent.id, reconciled: true },
    };
  }
  return {
    at,
    service: config.name,
    kind: 'hard_stop',
    decision: null,
    taken: result.ok,
    input: null,
    actor: SYSTEM_ACTOR,
    reason: result.ok ? `stopped ${config.unit} (hard stop)` : `stop failed: ${result.detail}`,
    stateFrom: null,
    stateTo: state.tag,
    counters: null,
    effects: [intent.effect],
    mode: config.policy.mode,
    data: { intentId: intent.id, ok: result.ok, ...(result.ok ? {} : { error: result.detail }) },
  };
}
