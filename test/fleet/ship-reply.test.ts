/**
 * The agent reads the hub's ship reply tolerantly per item: a command it cannot run (a newer
 * hub's operation, role or other field value) is set apart to be answered — UNSUPPORTED_OPERATION
 * or UNREADABLE_COMMAND, naming the agent's version — while every other command and remote state
 * of the reply still applies; fields it does not know are ignored; only an unreadable frame (no
 * cursor, commands not a list) refuses the reply whole.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COMMAND_OPERATIONS, commandResultSchema } from '../../src/fleet/protocol.js';
import { parseShipReply, type RefusedCommand, refusalResult } from '../../src/fleet/ship-reply.js';

const command = (id: number, operation: string, over: Record<string, unknown> = {}) => ({
  id,
  service: 'web',
  operation,
  args: {},
  actor: 'alice',
  role: 'operator' as const,
  reason: 'because',
  expiresAt: 1_000,
  ...over,
});
const known = new Set<string>(COMMAND_OPERATIONS);
const unknownOperation = fc.stringMatching(/^[a-z][A-Za-z]{0,30}$/).filter((op) => !known.has(op));
const knownOperation = fc.constantFrom(...COMMAND_OPERATIONS);
/** A field value this agent cannot read (a newer hub's role, a changed type, ...) and its field. */
const unreadable = fc.constantFrom<[string, unknown]>(
  ['role', 'superadmin'],
  ['role', 'root'],
  ['reason', ''],
  ['args', 'ttl'],
  ['expiresAt', 1.5],
  ['expiresAt', '2027-01-01T00:00:00Z'],
  ['service', ''],
  ['actor', 42],
);
/** An id nothing can be answered by. */
const noId = fc.constantFrom<Record<string, unknown>>({ id: -1 }, { id: 'x' }, { id: 0 }, { id: 2.5 });
/** Fields this agent never heard of (a newer hub's), with any JSON value. */
const extras = fc.dictionary(fc.stringMatching(/^x[A-Za-z]{0,8}$/), fc.jsonValue(), { maxKeys: 3 });

type Item =
  | { kind: 'ok'; op: string; extra: Record<string, unknown> }
  | { kind: 'unknownOp'; op: string; extra: Record<string, unknown> }
  | { kind: 'unreadable'; op: string; field: string; value: unknown }
  | { kind: 'noId'; op: string; bad: Record<string, unknown> };
const item: fc.Arbitrary<Item> = fc.oneof(
  fc.record({ kind: fc.constant('ok' as const), op: knownOperation, extra: extras }),
  fc.record({ kind: fc.constant('unknownOp' as const), op: unknownOperation, extra: extras }),
  fc
    .tuple(knownOperation, unreadable)
    .map(([op, [field, value]]) => ({ kind: 'unreadable' as const, op, field, value })),
  fc.record({ kind: fc.constant('noId' as const), op: knownOperation, bad: noId }),
);
const wire = (it: Item, id: number) =>
  it.kind === 'unreadable'
    ? command(id, it.op, { [it.field]: it.value })
    : it.kind === 'noId'
      ? command(id, it.op, it.bad)
      : { ...command(id, it.op), ...it.extra };

describe('parseShipReply: tolerant per command', () => {
  it('runs every readable command, answers every other one it can, in order, and loses none (property)', () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 20 }), fc.nat(), extras, (items, cursor, top) => {
        const reply = parseShipReply({ ...top, cursor, commands: items.map((it, i) => wire(it, i + 1)) });
        expect(reply).not.toBeNull();
        expect(reply!.cursor).toBe(cursor);
        const ids = (kinds: Item['kind'][]) =>
          items.flatMap((it, i) => (kinds.includes(it.kind) ? [i + 1] : []));
        // Known operations with readable fields run as delivered (unknown fields dropped).
        expect(reply!.commands).toEqual(
          items.flatMap((it, i) => (it.kind === 'ok' ? [command(i + 1, it.op)] : [])),
        );
        // Every other command with an id is answered: the operation unknown, or the field named.
        expect(reply!.refused.map((r) => r.id)).toEqual(ids(['unknownOp', 'unreadable']));
        for (const r of reply!.refused) {
          const it = items[r.id - 1]!;
          expect(r.operation).toBe(it.op);
          if (it.kind === 'unknownOp')
            expect(r).toMatchObject({ code: 'UNSUPPORTED_OPERATION', problem: null });
          if (it.kind === 'unreadable') {
            expect(r.code).toBe('UNREADABLE_COMMAND');
            expect(r.problem).toMatch(new RegExp(`^${it.field}: `));
          }
        }
        // Only a command with no id to answer by is left out, and counted.
        expect(reply!.ignored).toEqual({ commands: ids(['noId']).length, remote: 0 });
      }),
    );
  });

  it('ignores fields it does not know, at the top, in commands and in remote states (property)', () => {
    const remote = { id: 'node-b/db', state: { tag: 'healthy' }, ageMs: 5, staleAfterMs: 30_000 };
    fc.assert(
      fc.property(extras, extras, extras, knownOperation, (top, inCommand, inRemote, op) => {
        const plain = parseShipReply({ cursor: 3, commands: [command(1, op)], remote: [remote] });
        const newer = parseShipReply({
          ...top,
          cursor: 3,
          commands: [{ ...command(1, op), ...inCommand }],
          remote: [{ ...remote, ...inRemote }],
        });
        expect(newer).toEqual(plain);
        expect(newer).toEqual({
          cursor: 3,
          commands: [command(1, op)],
          refused: [],
          ignored: { commands: 0, remote: 0 },
          remote: [remote],
        });
      }),
    );
  });

  it('keeps the remote states it can read and leaves out the others, counted (property)', () => {
    const good = fc.record({
      id: fc.constantFrom('node-b/db', 'node-c/cache'),
      state: fc.option(fc.record({ tag: fc.constantFrom('healthy', 'circuit_open', 'quantum') }), {
        nil: null,
      }),
      ageMs: fc.nat(),
      staleAfterMs: fc.nat(),
    });
    const bad = fc.constantFrom<unknown>({ id: 'no-slash' }, { id: 'a/b', ageMs: -1 }, 'x', null, 7);
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            good.map((g) => ({ g })),
            bad.map((b) => ({ b })),
          ),
          { maxLength: 10 },
        ),
        (rs) => {
          const reply = parseShipReply({
            cursor: 1,
            commands: [],
            remote: rs.map((r) => ('g' in r ? r.g : r.b)),
          });
          expect(reply!.remote).toEqual(rs.flatMap((r) => ('g' in r ? [r.g] : [])));
          expect(reply!.ignored.remote).toBe(rs.filter((r) => 'b' in r).length);
        },
      ),
    );
    expect(parseShipReply({ cursor: 1, remote: 'soon' })).toEqual({
      cursor: 1,
      commands: [],
      refused: [],
      ignored: { commands: 0, remote: 1 },
    });
  });

  it('reads a reply of known commands exactly as before', () => {
    const hold = command(1, 'holdService', { args: { ttlSec: 60 } });
    expect(parseShipReply({ cursor: 7, commands: [hold] })).toEqual({
      cursor: 7,
      commands: [hold],
      refused: [],
      ignored: { commands: 0, remote: 0 },
    });
    expect(parseShipReply({ cursor: 0 })).toMatchObject({ cursor: 0, commands: [], refused: [] });
  });

  it('refuses the reply whole only when its frame is unreadable', () => {
    for (const body of [null, 'ok', [], {}, { cursor: -1 }, { cursor: 1.5 }, { cursor: '3' }])
      expect(parseShipReply(body)).toBeNull();
    expect(parseShipReply({ cursor: 1, commands: 'none' })).toBeNull();
    expect(parseShipReply({ cursor: 1, commands: { 1: command(1, 'holdService') } })).toBeNull();
  });
});

describe('refusalResult', () => {
  const refused = fc.record<RefusedCommand>({
    id: fc.integer({ min: 1, max: 2 ** 31 }),
    operation: fc.option(fc.string({ minLength: 1, maxLength: 200 }), { nil: null }),
    service: fc.option(fc.string({ minLength: 1, maxLength: 200 }), { nil: null }),
    actor: fc.option(fc.string({ minLength: 1, maxLength: 200 }), { nil: null }),
    code: fc.constantFrom('UNSUPPORTED_OPERATION', 'UNREADABLE_COMMAND'),
    problem: fc.option(fc.string({ maxLength: 500 }), { nil: null }),
  });

  it('is a valid not-taken result with its code, naming the agent version (property)', () => {
    fc.assert(
      fc.property(refused, fc.option(fc.constantFrom('0.1.0', '1.2.3-rc.1'), { nil: null }), (c, version) => {
        const r = refusalResult(c, version, 123);
        expect(commandResultSchema.parse(r)).toEqual(r);
        expect(r).toMatchObject({ id: c.id, at: 123, ok: false, type: 'Error', code: c.code, state: null });
        expect(r.message).toContain(version ? `this agent (medic ${version})` : 'an unknown version');
        expect(r.message).toContain('nothing was done');
      }),
    );
  });

  it('says which operation is unknown, or which field could not be read', () => {
    const base = { id: 4, service: 'web', actor: 'alice' };
    expect(
      refusalResult(
        { ...base, operation: 'rebootNode', code: 'UNSUPPORTED_OPERATION', problem: null },
        '0.1.0',
        1,
      ).message,
    ).toContain('this agent (medic 0.1.0) does not run rebootNode');
    const [only] = parseShipReply({
      cursor: 1,
      commands: [command(4, 'holdService', { role: 'superadmin' })],
    })!.refused;
    expect(refusalResult(only!, '0.1.0', 1).message).toBe(
      'this agent (medic 0.1.0) cannot read command 4 (holdService): role: Invalid option: expected one of "viewer"|"operator"|"admin"; the hub is likely newer than the agent: upgrade it (nothing was done)',
    );
  });
});
