/**
 * The budget bodies' hand checks (src/hub/budget-body.ts) against their zod schemas: a body the
 * checks accept, the schema accepts unchanged (so skipping zod for it changes nothing); a
 * well-formed agent's body is accepted by the checks (so the skip happens).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { finishRequestSchema, leaseRequestSchema } from '../../src/fleet/budget-protocol.js';
import { isFinishBody, isLeaseBody, parseFinishBody, parseLeaseBody } from '../../src/hub/budget-body.js';

/** As the route sees a body: JSON.parse of what was sent. */
const wire = (v: unknown): unknown => JSON.parse(JSON.stringify(v) ?? 'null');

const validName = fc.string({ minLength: 1, maxLength: 200 }).filter((s) => !/[\ud800-\udfff]/.test(s));
const validLease = fc.record({
  group: validName,
  limits: fc.record({
    maxConcurrent: fc.integer({ min: 1, max: 10_000 }),
    maxPerWindow: fc.integer({ min: 1, max: 10_000 }),
    windowSec: fc.double({ min: 0.001, max: 1e6, noNaN: true }),
    leaseTtlSec: fc.double({ min: 0.001, max: 86_400, noNaN: true }),
  }),
  id: validName,
  service: validName,
  operator: fc.boolean(),
});

/** Values at and around every rule's edge, and of the wrong type (1e999 is JSON for Infinity). */
const EDGES: unknown[] = [
  ...['', 'a', 'a'.repeat(200), 'a'.repeat(201), '😀'.repeat(100), '😀'.repeat(101), '😀'.repeat(201)],
  ...[0, -0, -1, 0.5, 1, 1.5, 86_400, 86_400.0001, 86_401, 2 ** 53 - 1, 2 ** 53, 1e308, -1e-9],
  ...[JSON.parse('1e999'), JSON.parse('-1e999'), true, false, null, [], {}, [1], { a: 1 }, '1'],
];
const edge = fc.oneof({ arbitrary: fc.constantFrom(...EDGES), weight: 4 }, fc.jsonValue());
type Body = Record<string, unknown>;
/** The body's limits as an object to change (an earlier change may have set them to anything). */
const limitsOf = (b: Body): Body =>
  typeof b.limits === 'object' && b.limits !== null ? (b.limits as Body) : {};
/** One change to a valid body: a field (or a limit) set to an edge value, removed, or one more key. */
const mutation = fc.oneof(
  fc
    .tuple(fc.constantFrom('group', 'limits', 'id', 'service', 'operator'), edge)
    .map(([k, v]) => (b: Body) => ({ ...b, [k]: v })),
  fc
    .tuple(fc.constantFrom('maxConcurrent', 'maxPerWindow', 'windowSec', 'leaseTtlSec'), edge)
    .map(([k, v]) => (b: Body) => ({ ...b, limits: { ...limitsOf(b), [k]: v } })),
  fc.constantFrom('group', 'limits', 'id', 'service', 'operator').map((k) => (b: Body) => {
    const { [k]: _, ...rest } = b;
    return rest;
  }),
  fc.constantFrom('maxConcurrent', 'maxPerWindow', 'windowSec', 'leaseTtlSec').map((k) => (b: Body) => {
    const { [k]: _, ...rest } = limitsOf(b);
    return { ...b, limits: rest };
  }),
  fc.tuple(fc.string({ maxLength: 12 }), edge).map(([k, v]) => (b: Body) => ({ ...b, [k]: v })),
  fc.tuple(fc.string({ maxLength: 12 }), edge).map(([k, v]) => (b: Body) => ({
    ...b,
    limits: { ...limitsOf(b), [k]: v },
  })),
);
const leaseLike = fc.oneof(
  fc
    .tuple(validLease, fc.array(mutation, { minLength: 0, maxLength: 2 }))
    .map(([b, ms]) => ms.reduce((x: Body, m) => m(x), b as Body)),
  fc.jsonValue(),
);

describe('the budget bodies checked by hand', () => {
  it('accept a lease body only if the schema accepts it unchanged', () => {
    fc.assert(
      fc.property(leaseLike.map(wire), (body) => {
        const zod = leaseRequestSchema.safeParse(body);
        if (isLeaseBody(body)) expect(zod).toEqual({ success: true, data: body });
        expect(parseLeaseBody(body).success).toBe(zod.success);
      }),
      { numRuns: 3000 },
    );
  });

  it('accept a lease body with any one field or limit at an edge only if the schema accepts it unchanged', () => {
    const valid = {
      group: 'g',
      limits: { maxConcurrent: 5, maxPerWindow: 50, windowSec: 60, leaseTtlSec: 600 },
      id: 'n1/svc/1',
      service: 'svc',
      operator: false,
    };
    const bodies = EDGES.flatMap((v) => [
      ...Object.keys(valid).map((k) => ({ ...valid, [k]: v })),
      ...Object.keys(valid.limits).map((k) => ({ ...valid, limits: { ...valid.limits, [k]: v } })),
    ]);
    for (const body of bodies) {
      const zod = leaseRequestSchema.safeParse(body);
      if (isLeaseBody(body)) expect(zod).toEqual({ success: true, data: body });
      expect(parseLeaseBody(body).success).toBe(zod.success);
    }
  });

  it("accept every well-formed agent's lease body (the schema is skipped for it)", () => {
    fc.assert(
      fc.property(validLease.map(wire), (body) => {
        expect(leaseRequestSchema.safeParse(body).success).toBe(true);
        expect(isLeaseBody(body)).toBe(true);
      }),
    );
  });

  it("give the schema's message for a body they do not accept", () => {
    const body = { group: 'g', limits: { maxConcurrent: 0, maxPerWindow: 1, windowSec: 1, leaseTtlSec: 1 } };
    const mine = parseLeaseBody({ ...body, id: 'a', service: 's', operator: false });
    const zod = leaseRequestSchema.safeParse({ ...body, id: 'a', service: 's', operator: false });
    expect(mine.success).toBe(false);
    expect(!mine.success && mine.error.issues[0]!.message).toBe(!zod.success && zod.error.issues[0]!.message);
  });

  it('accept a finish body only if the schema accepts it unchanged, and every well-formed one', () => {
    const id = fc.oneof(validName, edge);
    fc.assert(
      fc.property(
        fc
          .oneof(fc.record({ id }, { requiredKeys: [] }), fc.record({ id, y: edge }), fc.jsonValue())
          .map(wire),
        (body) => {
          const zod = finishRequestSchema.safeParse(body);
          if (isFinishBody(body)) expect(zod).toEqual({ success: true, data: body });
          expect(parseFinishBody(body).success).toBe(zod.success);
        },
      ),
      { numRuns: 2000 },
    );
    fc.assert(fc.property(validName, (id) => void expect(isFinishBody(wire({ id }))).toBe(true)));
  });
});
