/**
 * Ad hoc maintenance windows over GraphQL: scheduleMaintenance / cancelMaintenance (operator,
 * audited with the actor; a viewer is refused and audited), maintenanceWindows, and
 * `Service.maintenance`; a hold window scheduled over the API holds the automatic restart, and
 * cancelling it hands the service back to its policy at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness.js';

const RESULT =
  '__typename ... on MaintenanceWindow { id name source services mode reason actor from until active } ... on MutationError { code message } ... on ValidationError { field }';

let h: Harness;
afterEach(async () => h?.close());

type Data = Record<string, Record<string, unknown>>;

describe('maintenance windows over GraphQL', () => {
  it('an operator schedules a hold window: audited with the actor, shown on the service, restarts held until cancelled', async () => {
    h = await startHarness();
    const t0 = h.clock.now();
    const { body } = await h.gql(
      'operator',
      `mutation { scheduleMaintenance(services: ["api"], durationSec: 7200, reason: "db migration") { ${RESULT} } }`,
    );
    const w = (body.data as Data).scheduleMaintenance;
    expect(w).toMatchObject({
      __typename: 'MaintenanceWindow',
      id: 'adhoc:1',
      name: 'adhoc-1',
      source: 'adhoc',
      services: ['api'],
      mode: 'hold',
      reason: 'db migration',
      actor: 'operator-token',
      from: new Date(t0).toISOString(),
      until: new Date(t0 + 7200_000).toISOString(),
      active: true,
    });
    const audited = h.store.listEvents({ kinds: ['maintenance_scheduled'] }).events;
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({ actor: 'operator-token', reason: 'db migration', service: 'api' });

    const svc = await h.gql(
      'viewer',
      '{ service(name: "api") { maintenance { id name mode endsAt reason } } }',
    );
    expect((svc.body.data as Data).service.maintenance).toEqual({
      id: 'adhoc:1',
      name: 'adhoc-1',
      mode: 'hold',
      endsAt: new Date(t0 + 7200_000).toISOString(),
      reason: 'db migration (operator-token)',
    });
    const list = await h.gql('viewer', '{ maintenanceWindows { id active } }');
    expect((list.body.data as { maintenanceWindows: unknown[] }).maintenanceWindows).toEqual([
      { id: 'adhoc:1', active: true },
    ]);

    const crash = await h.engine.submit('api', { type: 'exited', code: 1 });
    expect(crash.decision.decision).toBe('skip_maintenance');
    await h.engine.idle();
    expect(h.executor.calls).toHaveLength(0);

    h.clock.advance(60_000);
    const cancel = await h.gql(
      'operator',
      `mutation { cancelMaintenance(id: "1", reason: "done early") { ${RESULT} } }`,
    );
    expect((cancel.body.data as Data).cancelMaintenance).toMatchObject({ id: 'adhoc:1', active: false });
    await h.engine.idle();
    expect(h.executor.calls.map((c) => c.service)).toEqual(['api']);
    const cancelled = h.store.listEvents({ kinds: ['maintenance_cancelled'] }).events;
    expect(cancelled[0]).toMatchObject({ actor: 'operator-token', reason: 'done early' });
    const again = await h.gql('operator', `mutation { cancelMaintenance(id: "adhoc:1") { ${RESULT} } }`);
    expect((again.body.data as Data).cancelMaintenance).toMatchObject({ code: 'CONFLICT' });
  });

  it('a viewer is refused (NOT_ALLOWED, audited once); bad arguments are VALIDATION / NOT_FOUND', async () => {
    h = await startHarness();
    const denied = await h.gql(
      'viewer',
      `mutation { scheduleMaintenance(durationSec: 60, reason: "x") { ${RESULT} } }`,
    );
    expect((denied.body.data as Data).scheduleMaintenance).toMatchObject({ code: 'NOT_ALLOWED' });
    expect(h.store.listEvents({ kinds: ['access_denied'] }).events).toHaveLength(1);
    const cases: [string, string, string][] = [
      ['durationSec: 60, until: "2030-01-01T00:00:00Z", reason: "x"', 'VALIDATION', 'until'],
      ['reason: "x"', 'VALIDATION', 'until'],
      ['durationSec: 0, reason: "x"', 'VALIDATION', 'until'],
      ['durationSec: 60, reason: "  "', 'VALIDATION', 'reason'],
      ['durationSec: 999999999, reason: "x"', 'VALIDATION', 'until'],
      ['services: ["nope"], durationSec: 60, reason: "x"', 'NOT_FOUND', ''],
    ];
    for (const [args, code, field] of cases) {
      const { body } = await h.gql('operator', `mutation { scheduleMaintenance(${args}) { ${RESULT} } }`);
      const r = (body.data as Data).scheduleMaintenance;
      expect(r.code, args).toBe(code);
      if (field) expect(r.field, args).toBe(field);
    }
    expect(h.store.listMaintenance(h.clock.now())).toEqual([]);
    const bad = await h.gql(
      'operator',
      `mutation { cancelMaintenance(id: "contract:weekly") { ${RESULT} } }`,
    );
    expect((bad.body.data as Data).cancelMaintenance).toMatchObject({ code: 'CONFLICT' });
  });

  it('a shadow window for every service records the automatic restart as shadow, runs none', async () => {
    h = await startHarness();
    await h.gql(
      'operator',
      `mutation { scheduleMaintenance(durationSec: 600, mode: shadow, reason: "canary") { ${RESULT} } }`,
    );
    const d = await h.engine.submit('worker', { type: 'exited', code: 1 });
    expect(d.decision.decision).toBe('restart');
    expect(d.event?.mode).toBe('shadow');
    await h.engine.idle();
    expect(h.executor.calls).toHaveLength(0);
  });
});

describe('maintenance windows and the node argument (one document for agent and hub)', () => {
  it('answers for its own node, or none named; another node is NOT_FOUND (mutations) or no windows (query)', async () => {
    h = await startHarness();
    const own = (await h.gql('viewer', '{ s: services { node } }')).body.data as { s: { node: string }[] };
    const me = own.s[0]!.node;
    const mine = await h.gql(
      'operator',
      `mutation { scheduleMaintenance(node: "${me}", services: ["api"], durationSec: 600, reason: "x") { ${RESULT} ... on MaintenanceWindow { node } } }`,
    );
    expect((mine.body.data as Data).scheduleMaintenance).toMatchObject({ id: 'adhoc:1', node: me });
    const other = await h.gql(
      'operator',
      `mutation { scheduleMaintenance(node: "elsewhere", durationSec: 600, reason: "x") { ${RESULT} } }`,
    );
    expect((other.body.data as Data).scheduleMaintenance).toEqual({
      __typename: 'NotFoundError',
      code: 'NOT_FOUND',
      message: `this medic is node ${me}, not elsewhere: ask the fleet hub for other nodes`,
    });
    const cancel = await h.gql(
      'operator',
      `mutation { cancelMaintenance(node: "elsewhere", id: "adhoc:1") { ${RESULT} } }`,
    );
    expect((cancel.body.data as Data).cancelMaintenance).toMatchObject({ code: 'NOT_FOUND' });
    expect(h.store.listMaintenance(h.clock.now()).map((w) => w.id)).toEqual([1]);
    const lists = await h.gql(
      'viewer',
      `{ a: maintenanceWindows(node: "${me}") { id node } b: maintenanceWindows(node: "elsewhere") { id } }`,
    );
    expect(lists.body.data).toEqual({ a: [{ id: 'adhoc:1', node: me }], b: [] });
  });
});

describe('maintenance windows with notify', () => {
  it('an ad hoc window with notify is stored with it, and marks what happens inside it notify: true (like the contract key)', async () => {
    h = await startHarness();
    const { body } = await h.gql(
      'operator',
      `mutation { scheduleMaintenance(services: ["api"], durationSec: 600, notify: true, reason: "kernel") { ${RESULT} ... on MaintenanceWindow { notify } } }`,
    );
    expect((body.data as Data).scheduleMaintenance).toMatchObject({ id: 'adhoc:1', notify: true });
    expect(h.store.listMaintenance(h.clock.now()).map((w) => w.notify)).toEqual([true]);
    expect(h.store.listEvents({ kinds: ['maintenance_scheduled'] }).events[0]?.data).toMatchObject({
      notify: true,
    });
    const d = await h.engine.submit('api', { type: 'exited', code: 1 });
    expect(d.decision.decision).toBe('skip_maintenance');
    expect(d.event?.data).toMatchObject({ maintenance: { id: 'adhoc:1', mode: 'hold', notify: true } });
    // Without it (the default): notify false, as before.
    const plain = await h.gql(
      'operator',
      `mutation { scheduleMaintenance(services: ["worker"], durationSec: 600, reason: "x") { ${RESULT} ... on MaintenanceWindow { notify } } }`,
    );
    expect((plain.body.data as Data).scheduleMaintenance).toMatchObject({ id: 'adhoc:2', notify: false });
    const list = await h.gql('viewer', '{ maintenanceWindows { id notify } }');
    expect((list.body.data as { maintenanceWindows: unknown[] }).maintenanceWindows).toEqual([
      { id: 'adhoc:1', notify: true },
      { id: 'adhoc:2', notify: false },
    ]);
  });
});

describe('the status page card', () => {
  it('shows the window in force and its end (server-rendered, escaped)', async () => {
    h = await startHarness();
    await h.gql(
      'operator',
      `mutation { scheduleMaintenance(services: ["api"], durationSec: 5400, reason: "<b>kernel</b>") { ${RESULT} } }`,
    );
    const res = await h.app.fetch(
      new Request('http://medic.test/ui/services/api', {
        headers: { authorization: `Bearer ${h.tokens.viewer}` },
      }),
    );
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain(
      '<li class="maintenance">maintenance window <b>adhoc-1</b> (hold) ends <time datetime="2026-01-01T01:30:00.000Z" data-until="2026-01-01T01:30:00.000Z">in 1h 30m</time>',
    );
    expect(body).toContain('&lt;b&gt;kernel&lt;/b&gt;');
  });
});
