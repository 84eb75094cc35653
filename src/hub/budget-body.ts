/**
 * The budget endpoints' request bodies checked by hand before zod (issue 16: the hub's CPU per
 * request). The contract: a body these checks accept is one its zod schema
 * (src/fleet/budget-protocol.ts) accepts, unchanged — JSON.parse's output used as it is; a body
 * they do not accept goes to the schema, whose answer (and error message) stands. So the wire
 * format and every refusal are the schema's; this only skips zod for the well-formed bodies.
 * Conservative where zod's rules are subtle: a name is accepted here up to 200 UTF-16 units
 * (zod counts code points, so longer ones go to it).
 */
import {
  finishRequestSchema,
  type LeaseRequestBody,
  leaseRequestSchema,
  MAX_LEASE_TTL_SEC,
  MAX_NAME_LENGTH,
} from '../fleet/budget-protocol.js';

type Parsed<T> = { success: true; data: T } | { success: false; error: { issues: { message: string }[] } };

const isName = (v: unknown): v is string =>
  typeof v === 'string' && v.length >= 1 && v.length <= MAX_NAME_LENGTH;
const isPositiveInt = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
const isPositive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

/** A JSON object with exactly `n` own keys (arrays and null are not). */
function hasKeys(v: unknown, n: number): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  let count = 0;
  for (const _ in v) count++;
  return count === n;
}

/** The checks alone (exported for the property test against the schema). */
export function isLeaseBody(v: unknown): v is LeaseRequestBody {
  if (!hasKeys(v, 5) || !isName(v.group) || !isName(v.id) || !isName(v.service)) return false;
  if (typeof v.operator !== 'boolean') return false;
  const l = v.limits;
  return (
    hasKeys(l, 4) &&
    isPositiveInt(l.maxConcurrent) &&
    isPositiveInt(l.maxPerWindow) &&
    isPositive(l.windowSec) &&
    isPositive(l.leaseTtlSec) &&
    l.leaseTtlSec <= MAX_LEASE_TTL_SEC
  );
}

export const isFinishBody = (v: unknown): v is { id: string } => hasKeys(v, 1) && isName(v.id);

/** A lease request's body (JSON.parse's output): as `leaseRequestSchema.safeParse`, faster when well-formed. */
export const parseLeaseBody = (raw: unknown): Parsed<LeaseRequestBody> =>
  isLeaseBody(raw) ? { success: true, data: raw } : leaseRequestSchema.safeParse(raw);

/** A finish's body: as `finishRequestSchema.safeParse`, faster when well-formed. */
export const parseFinishBody = (raw: unknown): Parsed<{ id: string }> =>
  isFinishBody(raw) ? { success: true, data: raw } : finishRequestSchema.safeParse(raw);
