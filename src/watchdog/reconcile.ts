/**
 * Crash safety (promise 4), the start-up half: intents committed before medic died, whose
 * outcome was never recorded, are settled by ASKING the supervisor what happened — never by
 * carrying out a restart again. The bookkeeping (closing the intent, its audit event, feeding
 * `restart_succeeded`) is the engine's `reconcileIntents`; this module supplies the answers:
 *
 * - restart intent: 'done' when the unit's current main process started at/after the decision
 *   (ExecMainStartTimestamp ≥ decidedAt), else 'not_done' (the startup grace then resolves it);
 * - stop intent (hard stop): 'done' when the unit is no longer active; 'not_done' hands the stop
 *   back to the engine, which carries it out while the circuit is still open (engine/reconcile.ts).
 */

import type { Intent } from '../core/audit.js';
import { reconcileIntents as engineReconcile, type IntentAnswer } from '../engine/reconcile.js';
import type { EngineStore } from '../engine/store-port.js';
import type { Engine } from '../engine/types.js';
import type { Logger } from '../log.js';
import type { UnitMonitor } from './monitor.js';
import type { UnitStatus } from './unit-status.js';

/** The answer for one intent given the unit's current status (pure). */
export function answerFor(intent: Intent, status: UnitStatus | undefined): IntentAnswer {
  if (!status) return 'unknown';
  if (intent.effect.type === 'restart') {
    return status.execMainStartUs > 0 && status.execMainStartUs / 1000 >= intent.decidedAt
      ? 'done'
      : 'not_done';
  }
  const running = status.activeState === 'active' || status.activeState === 'activating';
  return running ? 'not_done' : 'done';
}

export interface ReconcileDeps {
  engine: Engine;
  store: EngineStore;
  monitor: Pick<UnitMonitor, 'refresh'>;
  now: () => number;
  logger?: Logger;
}

export async function reconcileOpenIntents(
  deps: ReconcileDeps,
): Promise<{ intent: Intent; answer: IntentAnswer }[]> {
  const { engine, store, monitor } = deps;
  const ask = async (intent: Intent): Promise<IntentAnswer> => {
    const svc = engine.services.get(intent.service);
    if (!svc) return 'unknown';
    return answerFor(intent, await monitor.refresh(svc.unit));
  };
  const results = await engineReconcile(engine, store, ask, deps.now);
  for (const { intent, answer } of results) {
    deps.logger?.info(
      { service: intent.service, intentId: intent.id, effect: intent.effect.type, answer },
      `open intent from before the restart of medic: ${answer} (not re-issued)`,
    );
    // Still running with its circuit open: exactly the storm the hard stop was for (stopping is
    // idempotent). The engine carries it out on its effect path and audits it `hard_stop`.
    if (intent.effect.type === 'stop' && answer === 'not_done') await engine.resumeStop(intent);
  }
  return results;
}
