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
  return result.ok ? { type: 'restart_succeeded' } : { type: 'restart_failed', detail: result.detail };
}

/** The audit event recording a hard stop's outcome. */
export function hardStopEvent(
  config: ServiceConfig,
  intent: Intent,
  result: ExecResult,
  state: ServiceState,
  at: number,
): NewEvent {
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
