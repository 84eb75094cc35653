/**
 * The agent reads the hub's ship reply leniently per command: a command whose operation it does
 * not know (a newer hub's) is set apart and answered UNSUPPORTED_OPERATION instead of making the
 * reply unreadable; the known ones come through as before, in order; a reply malformed in any
 * other way is still refused whole.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COMMAND_OPERATIONS, commandResultSchema } from '../../src/fleet/protocol.js';
import { parseShipReply, unsupportedResult } from '../../src/fleet/ship-reply.js';

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
const anyOperation = fc.oneof(fc.constantFrom(...COMMAND_OPERATIONS), unknownOperation);

describe('parseShipReply: lenient per command', () => {
  it('keeps every known command in order and sets apart every unknown operation (property)', () => {
    fc.assert(
      fc.property(fc.array(anyOperation, { maxLength: 20 }), fc.nat(), (operations, cursor) => {
        const delivered = operations.map((op, i) => command(i + 1, op));
        const reply = parseShipReply({ cursor, commands: delivered });
        expect(reply).not.toBeNull();
        expect(reply!.cursor).toBe(cursor);
        expect(reply!.commands.map((c) => c.id)).toEqual(
          delivered.filter((c) => known.has(c.operation)).map((c) => c.id),
        );
        expect(reply!.unsupported.map((c) => [c.id, c.operation])).toEqual(
          delivered.filter((c) => !known.has(c.operation)).map((c) => [c.id, c.operation]),
        );
      }),
    );
  });

  it('reads a reply of known commands exactly as before (no unsupported)', () => {
    const reply = parseShipReply({
      cursor: 7,
      commands: [command(1, 'holdService', { args: { ttlSec: 60 } })],
    });
    expect(reply).toEqual({
      cursor: 7,
      commands: [command(1, 'holdService', { args: { ttlSec: 60 } })],
      unsupported: [],
    });
    expect(parseShipReply({ cursor: 0 })).toEqual({ cursor: 0, commands: [], unsupported: [] });
  });

  it('still refuses a reply malformed otherwise, whatever operations come with it (property)', () => {
    const broken = fc.constantFrom<Record<string, unknown>>(
      { id: -1 },
      { id: 'x' },
      { role: 'root' },
      { reason: '' },
      { args: 'ttl' },
      { expiresAt: 1.5 },
      { operation: '' },
      { service: '' },
    );
    fc.assert(
      fc.property(fc.array(anyOperation, { maxLength: 5 }), broken, anyOperation, (ops, bad, op) => {
        const commands = [...ops.map((o, i) => command(i + 1, o)), command(99, op, bad)];
        expect(parseShipReply({ cursor: 1, commands })).toBeNull();
      }),
    );
    expect(parseShipReply(null)).toBeNull();
    expect(parseShipReply({ cursor: -1, commands: [] })).toBeNull();
    expect(parseShipReply({ cursor: 1, commands: 'none' })).toBeNull();
    expect(parseShipReply({ cursor: 1, commands: [], remote: [{ id: 'no-slash' }] })).toBeNull();
  });
});

describe('unsupportedResult', () => {
  it('is a valid not-taken result naming the agent version and the operation', () => {
    const r = unsupportedResult(command(4, 'rebootNode'), '0.1.0', 123);
    expect(commandResultSchema.parse(r)).toEqual(r);
    expect(r).toMatchObject({
      id: 4,
      at: 123,
      ok: false,
      type: 'Error',
      code: 'UNSUPPORTED_OPERATION',
      state: null,
    });
    expect(r.message).toContain('this agent (medic 0.1.0) does not run rebootNode');
    expect(unsupportedResult(command(5, 'x'.repeat(100)), null, 1).message).toContain('an unknown version');
  });
});
