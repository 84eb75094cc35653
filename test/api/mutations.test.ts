import { afterEach, describe, expect, it } from 'vitest';
import type { TokenRole } from '../../src/core/roles.js';
import { hasRole } from '../../src/core/roles.js';
import { type Harness, startHarness } from './harness.js';

const ROLES: TokenRole[] = ['viewer', 'operator', 'admin'];
const RESULT =
  '__typename ... on MutationError { code message } ... on Service { name state } ... on NotAllowedError { requiredRole } ... on ConflictError { decision } ... on ValidationError { field }';

/** Puts `api` where each command is accepted, so the only variable is the caller's role. */
const CASES: {
  field: string;
  required: TokenRole;
  args: string;
  setup?: (h: Harness) => Promise<unknown>;
  expectState: string;
}[] = [
  {
    field: 'holdService',
    required: 'operator',
    args: 'name: "api", ttlSec: 600, reason: "deploy"',
    expectState: 'held',
  },
  {
    field: 'releaseService',
    required: 'operator',
    args: 'name: "api", reason: "deploy done"',
    setup: (h) => h.engine.submit('api', { type: 'hold', ttlSec: 600, actor: 'setup', reason: 'setup' }),
    expectState: 'healthy',
  },
  {
    field: 'approveRestart',
    required: 'operator',
    args: 'name: "api", reason: "looked at the logs"',
    setup: (h) => h.engine.submit('api', { type: 'exited', code: 78 }),
    expectState: 'restarting',
  },
  {
    field: 'forceRestart',
    required: 'admin',
    args: 'name: "api", reason: "stuck"',
    expectState: 'restarting',
  },
  {
    field: 'resetCircuit',
    required: 'operator',
    args: 'name: "api", reason: "fixed config"',
    setup: (h) => h.engine.submit('api', { type: 'exited', code: 78 }),
    expectState: 'healthy',
  },
];

let h: Harness;
afterEach(async () => h?.close());

describe('mutations by role', () => {
  for (const c of CASES) {
    for (const role of ROLES) {
      const allowed = hasRole(role, c.required);
      it(`${c.field} by a ${role} ${allowed ? 'is carried out' : 'is refused with NOT_ALLOWED and audited'}`, async () => {
        h = await startHarness();
        await c.setup?.(h);
        await h.engine.idle();
        const executed = h.executor.calls.length;
        const { status, body } = await h.gql(role, `mutation { ${c.field}(${c.args}) { ${RESULT} } }`);
        expect(status).toBe(200);
        const result = (body.data as Record<string, Record<string, unknown>>)[c.field];
        if (allowed) {
          expect(result).toMatchObject({ __typename: 'Service', name: 'api', state: c.expectState });
          // The command's decision event carries the token's name (outcome events follow it).
          const mine = h.store
            .listEvents({ service: 'api' })
            .events.filter((e) => e.actor === `${role}-token`);
          expect(mine).toHaveLength(1);
          expect(mine[0]).toMatchObject({ taken: true, reason: expect.any(String) });
        } else {
          expect(result).toMatchObject({
            __typename: 'NotAllowedError',
            code: 'NOT_ALLOWED',
            requiredRole: c.required,
          });
          const denied = h.store.listEvents({ kinds: ['access_denied'] }).events;
          expect(denied).toHaveLength(1);
          expect(denied[0]).toMatchObject({ actor: `${role}-token`, service: 'api', kind: 'access_denied' });
          expect(denied[0].data).toMatchObject({ operation: c.field, role, required: c.required });
          await h.engine.idle();
          expect(h.executor.calls).toHaveLength(executed);
        }
      });
    }
  }

  for (const role of ROLES) {
    it(`checkDrift by a ${role} ${role === 'viewer' ? 'is refused' : 'says NOT_FOUND when no contract is configured'}`, async () => {
      h = await startHarness();
      const { body } = await h.gql(
        role,
        'mutation { checkDrift { __typename ... on MutationError { code } } }',
      );
      expect((body.data as { checkDrift: { code: string } }).checkDrift.code).toBe(
        role === 'viewer' ? 'NOT_ALLOWED' : 'NOT_FOUND',
      );
    });
  }
});

describe('typed mutation errors', () => {
  it('returns NOT_FOUND for an unknown service and submits nothing', async () => {
    h = await startHarness();
    const { body } = await h.gql(
      'admin',
      `mutation { forceRestart(name: "nope", reason: "x") { ${RESULT} } }`,
    );
    expect(body.data).toEqual({
      forceRestart: { __typename: 'NotFoundError', code: 'NOT_FOUND', message: "no service named 'nope'" },
    });
    expect(h.store.listEvents({}).events).toEqual([]);
  });

  it('returns VALIDATION for an empty reason and for a ttlSec out of range', async () => {
    h = await startHarness();
    const empty = await h.gql(
      'operator',
      `mutation { holdService(name: "api", ttlSec: 60, reason: "  ") { ${RESULT} } }`,
    );
    expect(empty.body.data).toMatchObject({ holdService: { code: 'VALIDATION', field: 'reason' } });
    const ttl = await h.gql(
      'operator',
      `mutation { holdService(name: "api", ttlSec: 0, reason: "x") { ${RESULT} } }`,
    );
    expect(ttl.body.data).toMatchObject({ holdService: { code: 'VALIDATION', field: 'ttlSec' } });
    expect(h.engine.view('api')?.state.tag).toBe('healthy');
  });

  it('returns CONFLICT with the decision code when approving without a pending approval, and audits it', async () => {
    h = await startHarness();
    const { body } = await h.gql(
      'operator',
      `mutation { approveRestart(name: "api", reason: "x") { ${RESULT} } }`,
    );
    expect(body.data).toMatchObject({
      approveRestart: { __typename: 'ConflictError', code: 'CONFLICT', decision: 'not_pending' },
    });
    const [event] = h.store.listEvents({ service: 'api' }).events;
    expect(event).toMatchObject({ decision: 'not_pending', taken: false, actor: 'operator-token' });
    expect(h.executor.calls).toEqual([]);
  });

  it('returns CONFLICT when releasing a service that is not held', async () => {
    h = await startHarness();
    const { body } = await h.gql(
      'operator',
      `mutation { releaseService(name: "worker", reason: "x") { ${RESULT} } }`,
    );
    expect(body.data).toMatchObject({ releaseService: { code: 'CONFLICT' } });
  });

  it('records the operator reason and actor from the token on the decision event', async () => {
    h = await startHarness();
    await h.gql(
      'operator',
      'mutation { holdService(name: "worker", ttlSec: 900, reason: "  db migration ") { __typename } }',
    );
    const [event] = h.store.listEvents({ service: 'worker' }).events;
    expect(event).toMatchObject({ kind: 'hold_set', actor: 'operator-token', reason: 'db migration' });
    expect(event.input).toMatchObject({ type: 'hold', ttlSec: 900 });
  });

  it('lets an admin force a restart that the executor then carries out', async () => {
    h = await startHarness();
    await h.gql('admin', 'mutation { forceRestart(name: "worker", reason: "hung") { __typename } }');
    await h.engine.idle();
    expect(h.executor.calls).toEqual([
      { service: 'worker', effect: { type: 'restart', initiator: 'forced', probe: false } },
    ]);
  });
});
