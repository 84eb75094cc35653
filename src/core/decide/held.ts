/**
 * held: an operator hold. medic never restarts automatically while held: a restart wish
 * (failures reaching the threshold, a crash, exit 78) is refused as skip_held (counted).
 * A tick at/after `until` ends the hold (hold_expired) and returns to the remembered circuit
 * (circuit_open, or half_open if its open period is over) or to healthy with failures reset.
 * force_restart still executes (commands.ts); hold/release are commands too.
 */
import type { HeldState } from '../types.js';
import { afterHold } from './commands.js';
import { observeWhileRefusing, type Refusal } from './refusing.js';
import { type Ctx, make, secs } from './shared.js';
import type { StateInput } from './types.js';

const HELD: Refusal<HeldState> = {
  reason: 'skip_held',
  why: (s, ctx) => `held by ${s.actor} for another ${secs(s.until - ctx.now)} (${s.reason})`,
  label: 'while held',
};

export function decideHeld(s: HeldState, input: StateInput, ctx: Ctx) {
  if (input.type !== 'tick') return observeWhileRefusing(s, input, ctx, HELD);
  const { now } = ctx;
  if (now < s.until) return make('noop', s, `Held for another ${secs(s.until - now)}.`);
  const next = afterHold(s, ctx);
  return make('hold_expired', next, `The hold by ${s.actor} expired; now ${next.tag}.`);
}
