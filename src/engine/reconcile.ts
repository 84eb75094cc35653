/**
 * After a crash, intents may be open: the effect was decided and committed, but its outcome was
 * never recorded (medic died before, during or after running it). They are never re-executed
 * blindly (that could be the extra restart promise 4 forbids). Instead `ask` (the watchdog
 * asks systemd, e.g. whether the unit restarted after `decidedAt`) says what happened:
 *
 * - every open intent gets outcome 'unknown_after_crash' and an audit event recording the answer;
 * - a restart that `ask` says is 'done' is then fed back as `restart_succeeded` (source
 *   'reconcile'), so the state machine leaves `restarting` without waiting for the grace;
 * - 'not_done' / 'unknown' feed nothing: the startup grace (a tick) resolves the restart. A hard
 *   stop that did not run is the caller's to hand back (`engine.resumeStop`, see
 *   src/watchdog/reconcile.ts), since only it knows the unit is still running.
 */
import { systemClock } from '../clock/clock.js';
import type { Intent } from '../core/audit.js';
import { SYSTEM_ACTOR } from './audit.js';
import type { EngineStore } from './store-port.js';
import type { Engine } from './types.js';

export type IntentAnswer = 'done' | 'not_done' | 'unknown';

export interface Reconciled {
  intent: Intent;
  answer: IntentAnswer;
}

export async function reconcileIntents(
  engine: Engine,
  store: EngineStore,
  ask: (intent: Intent) => Promise<IntentAnswer>,
  now: () => number = systemClock.now,
): Promise<Reconciled[]> {
  const out: Reconciled[] = [];
  for (const intent of store.openIntents()) {
    let answer: IntentAnswer;
    try {
      answer = await ask(intent);
    } catch {
      answer = 'unknown';
    }
    const at = now();
    if (!store.completeIntent(intent.id, 'unknown_after_crash', at)) continue; // completed meanwhile
    const known = engine.services.has(intent.service);
    engine.record({
      at,
      service: intent.service,
      kind: 'restart_executed',
      decision: null,
      taken: answer === 'done',
      input: null,
      actor: SYSTEM_ACTOR,
      reason: `intent ${intent.id} was open after a crash; ${answer === 'done' ? 'it happened' : `answer: ${answer}`}`,
      stateFrom: null,
      stateTo: engine.view(intent.service)?.state.tag ?? null,
      counters: null,
      effects: [intent.effect],
      mode: null,
      data: {
        intentId: intent.id,
        eventId: intent.eventId,
        decidedAt: intent.decidedAt,
        answer,
        outcome: 'unknown_after_crash',
      },
    });
    if (known && answer === 'done' && intent.effect.type === 'restart') {
      await engine.submit(
        intent.service,
        { type: 'restart_succeeded' },
        { source: 'reconcile', intentId: intent.id },
      );
    }
    out.push({ intent, answer });
  }
  return out;
}
