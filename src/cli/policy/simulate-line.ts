/**
 * One line of `medic policy simulate` input (JSON Lines):
 *   {"at":"2026-01-01T00:00:00Z","service":"api","type":"probe_failed"}
 * `at` is an ISO-8601 time with zone (or epoch milliseconds); `type` is an input type, with
 * its fields: exited{code}, external_restart{count}, hold{ttlSec, actor, reason}; release,
 * approve, force_restart, reset_circuit and restart_requested take optional actor/reason (default
 * `simulate`/`simulated`); probe_failed and restart_failed an optional detail.
 * Unknown keys are errors (a typo such as "cod" must not silently become a different input).
 */
import { z } from 'zod';
import type { Input } from '../../core/types.js';

const head = {
  at: z.union([z.iso.datetime({ offset: true }), z.number().int().nonnegative()]),
  service: z.string().min(1).max(200),
};
const operator = { actor: z.string().min(1).default('simulate'), reason: z.string().default('simulated') };

const lineSchema = z.discriminatedUnion('type', [
  z.strictObject({ ...head, type: z.literal('probe_ok') }),
  z.strictObject({ ...head, type: z.literal('probe_failed'), detail: z.string().optional() }),
  z.strictObject({ ...head, type: z.literal('exited'), code: z.number().int().min(0).max(255) }),
  z.strictObject({ ...head, type: z.literal('external_restart'), count: z.number().int().positive() }),
  z.strictObject({ ...head, type: z.literal('restart_succeeded') }),
  z.strictObject({
    ...head,
    type: z.literal('restart_failed'),
    detail: z.string().optional(),
    result: z.string().optional(),
  }),
  z.strictObject({
    ...head,
    type: z.literal('hold'),
    ttlSec: z.number().positive(),
    actor: z.string().min(1),
    reason: z.string().min(1),
  }),
  z.strictObject({
    ...head,
    type: z.literal('release'),
    ...operator,
    onlyIfActor: z.string().min(1).optional(),
  }),
  z.strictObject({ ...head, type: z.literal('approve'), ...operator }),
  z.strictObject({ ...head, type: z.literal('force_restart'), ...operator }),
  z.strictObject({ ...head, type: z.literal('reset_circuit'), ...operator }),
  z.strictObject({ ...head, type: z.literal('restart_requested'), ...operator }),
  z.strictObject({ ...head, type: z.literal('tick') }),
]);

export interface SimLine {
  at: number;
  service: string;
  input: Input;
}

/** Parses one line; returns a one-line error message instead of throwing. */
export function parseSimLine(text: string): { ok: true; value: SimLine } | { ok: false; message: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { ok: false, message: `not JSON (${(err as Error).message})` };
  }
  const parsed = lineSchema.safeParse(raw);
  if (!parsed.success) {
    const msg = parsed.error.issues
      .map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`)
      .join('; ');
    return { ok: false, message: msg };
  }
  const { at, service, ...input } = parsed.data;
  const ms = typeof at === 'number' ? at : Date.parse(at);
  if (!Number.isFinite(ms)) return { ok: false, message: `at: not a valid time` };
  return { ok: true, value: { at: ms, service, input: input as Input } };
}
