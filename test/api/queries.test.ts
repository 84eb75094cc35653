import { writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { TokenRole } from '../../src/core/roles.js';
import { createContractStatus } from '../../src/watchdog/drift.js';
import { MAJOR_MINOR, makeCondaEnv, tempDir, writeContract } from '../contract/helpers.js';
import { type Harness, PUBLIC_URL, serviceConfigs, startHarness } from './harness.js';

const ROLES: TokenRole[] = ['viewer', 'operator', 'admin'];
const SERVICE_FIELDS = `name unit state mode approvalPending
  churn { restartsInWindow windowSec maxRestarts totalRestarts blockedAttempts blockedByReason { reason count } circuitOpens lastRestartAt }
  cooldown { active until } circuit { state openedAt reopensAt } hold { actor reason until } backoff { nextDelaySec }
  recommendedAction { code summary command runbookUrl }
  policy { failureThreshold startupGraceSec cooldownSec maxRestarts windowSec stableSec mode jitter backoff { initialSec factor maxSec } circuit { openSec maxOpenSec hardStop } }
  lastDecision { decision reason at actor }`;

let h: Harness;
afterEach(async () => h?.close());

type Edge = { cursor: string; node: { id: string; kind: string; decision: string | null } };
type Conn = {
  edges: Edge[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
};

describe('queries', () => {
  for (const role of ROLES) {
    it(`lets a ${role} read services, one service, events and the contract`, async () => {
      h = await startHarness();
      const { status, body } = await h.gql(
        role,
        `{ services { ${SERVICE_FIELDS} } service(name: "api") { name events(first: 5) { edges { cursor } } }
           events(first: 5) { edges { cursor } } runtimeContract { path } }`,
      );
      expect(status).toBe(200);
      expect(body.errors).toBeUndefined();
      expect(body.data).toMatchObject({
        services: [{ name: 'api' }, { name: 'worker' }],
        service: { name: 'api', events: { edges: [] } },
        events: { edges: [] },
        runtimeContract: null,
      });
    });
  }

  it('shows state, churn, circuit, ISO timestamps and a runbook link for a service whose circuit opened', async () => {
    h = await startHarness();
    await h.engine.submit('api', { type: 'exited', code: 78 });
    const { body } = await h.gql('viewer', `{ service(name: "api") { ${SERVICE_FIELDS} } }`);
    const svc = (body.data as { service: Record<string, any> }).service;
    expect(svc.state).toBe('circuit_open');
    expect(svc.approvalPending).toBe(true);
    expect(svc.circuit).toEqual({
      state: 'open',
      openedAt: '2026-01-01T00:00:00.000Z',
      reopensAt: '2026-01-01T00:15:00.000Z',
    });
    expect(svc.recommendedAction.code).toBe('inspect_and_approve');
    expect(svc.recommendedAction.runbookUrl).toMatch(new RegExp(`^${PUBLIC_URL}/runbook#[a-z0-9-]+$`));
    expect(svc.lastDecision).toMatchObject({ decision: 'circuit_opened', at: '2026-01-01T00:00:00.000Z' });
    expect(svc.policy).toMatchObject({ maxRestarts: 3, windowSec: 600, circuit: { openSec: 900 } });
  });

  it('returns null for an unknown service', async () => {
    h = await startHarness();
    const { body } = await h.gql('viewer', '{ service(name: "ghost") { name } }');
    expect(body.data).toEqual({ service: null });
  });

  it('lists tokens for admins only (NOT_ALLOWED otherwise, audited)', async () => {
    h = await startHarness();
    const admin = await h.gql('admin', '{ tokens { name role createdAt revokedAt } }');
    expect((admin.body.data as { tokens: { name: string }[] }).tokens.map((t) => t.name)).toEqual([
      'admin-token',
      'operator-token',
      'viewer-token',
    ]);
    const op = await h.gql('operator', '{ tokens { name } }');
    expect(op.body.errors?.[0].extensions?.code).toBe('NOT_ALLOWED');
    expect(h.store.listEvents({ kinds: ['access_denied'] }).events).toHaveLength(1);
  });
});

describe('read cache', () => {
  const Q = '{ services { name state churn { restartsInWindow } recommendedAction { summary } } }';

  it('never serves a view older than the last committed event or the current second', async () => {
    h = await startHarness();
    const first = await h.gql('viewer', Q);
    expect(await h.gql('viewer', Q)).toEqual(first);
    await h.engine.submit('api', { type: 'exited', code: 78 });
    const opened = await h.gql<{ services: { state: string; recommendedAction: { summary: string } }[] }>(
      'viewer',
      Q,
    );
    expect(opened.body.data?.services[0].state).toBe('circuit_open');
    const countdown = opened.body.data?.services[0].recommendedAction.summary;
    h.clock.advance(1000);
    const later = await h.gql<typeof opened.body.data>('viewer', Q);
    expect(later.body.data?.services[0].recommendedAction.summary).not.toBe(countdown);
  });

  it('gives the same answers with the cache on and off', async () => {
    h = await startHarness({ deps: { readCache: false } });
    await h.engine.submit('worker', { type: 'hold', ttlSec: 60, actor: 'a', reason: 'b' });
    const off = await h.gql('viewer', Q);
    await h.close();
    h = await startHarness();
    await h.engine.submit('worker', { type: 'hold', ttlSec: 60, actor: 'a', reason: 'b' });
    await h.gql('viewer', Q);
    expect(await h.gql('viewer', Q)).toEqual(off);
  });
});

describe('events pagination', () => {
  async function seeded(): Promise<Harness> {
    const harness = await startHarness();
    for (let i = 0; i < 7; i++) {
      await harness.engine.submit(i % 2 ? 'worker' : 'api', { type: 'exited', code: 0 }); // always written
      harness.clock.advance(1000);
    }
    return harness;
  }

  it('walks the whole log newest first, page by page, without gaps or repeats', async () => {
    h = await seeded();
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const { body } = await h.gql<{ events: Conn }>(
        'viewer',
        'query($after: String) { events(first: 3, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage endCursor } } }',
        { after },
      );
      const conn: Conn = body.data!.events;
      seen.push(...conn.edges.map((e) => e.node.id));
      expect(conn.pageInfo.hasPreviousPage).toBe(after !== null);
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(seen).toEqual(['7', '6', '5', '4', '3', '2', '1']);
  });

  it('pages oldest first with order: asc and filters by service, kinds and since', async () => {
    h = await seeded();
    const { body } = await h.gql(
      'viewer',
      `{ asc: events(first: 2, order: asc) { edges { node { id } } pageInfo { hasNextPage } }
         worker: events(service: "worker") { edges { node { id } } }
         none: events(kinds: [circuit_opened]) { edges { node { id } } }
         recent: events(since: "2026-01-01T00:00:05.000Z") { edges { node { id } } }
         perService: service(name: "api") { events(first: 10) { edges { node { id } } } } }`,
    );
    const data = body.data as Record<string, any>;
    const ids = (c: Conn | { events: Conn }) =>
      ('events' in c ? c.events : c).edges.map((e) => Number(e.node.id));
    expect(ids(data.asc)).toEqual([1, 2]);
    expect(data.asc.pageInfo.hasNextPage).toBe(true);
    expect(ids(data.worker)).toEqual([6, 4, 2]);
    expect(ids(data.none)).toEqual([]);
    expect(ids(data.recent)).toEqual([7, 6]);
    expect(ids(data.perService)).toEqual([7, 5, 3, 1]);
  });

  it('pages services forward and backward in the contract order and reads them by id, as the hub does', async () => {
    h = await startHarness({ services: serviceConfigs(5) });
    const { body } = await h.gql('viewer', '{ services { id } }');
    const ids = (body.data as { services: { id: string }[] }).services.map((s) => s.id);
    expect(ids).toHaveLength(5);
    const page = async (args: string) =>
      (
        await h.gql(
          'viewer',
          `{ servicePage(${args}) { nodes { id } hasNextPage hasPreviousPage startCursor endCursor } }`,
        )
      ).body;
    const ofIds = (list: string[]) => list.map((id) => ({ id }));
    expect((await page(`first: 2, after: "${ids[0]}"`)).data?.servicePage).toEqual({
      nodes: ofIds(ids.slice(1, 3)),
      hasNextPage: true,
      hasPreviousPage: true,
      startCursor: ids[1],
      endCursor: ids[2],
    });
    expect((await page(`last: 2, before: "${ids[3]}"`)).data?.servicePage).toEqual({
      nodes: ofIds(ids.slice(1, 3)),
      hasNextPage: true,
      hasPreviousPage: true,
      startCursor: ids[1],
      endCursor: ids[2],
    });
    expect((await page('last: 2')).data?.servicePage).toMatchObject({
      nodes: ofIds(ids.slice(3)),
      hasPreviousPage: true,
    });
    expect((await page(`last: 9, before: "${ids[2]}"`)).data?.servicePage).toMatchObject({
      nodes: ofIds(ids.slice(0, 2)),
      hasPreviousPage: false,
    });
    expect((await page(`last: 1, first: 1`)).errors?.[0]?.extensions?.code).toBe('VALIDATION');
    expect((await page(`last: 1, before: "nowhere/x"`)).errors?.[0]?.extensions?.code).toBe('VALIDATION');
    const byIds = await h.gql(
      'viewer',
      `{ servicesByIds(ids: ["${ids[4]}", "other-node/x", "${ids[0]}"]) { id } }`,
    );
    expect(byIds.body.data).toEqual({ servicesByIds: ofIds([ids[4]!, ids[0]!]) });
  });

  it('rejects a page size out of range and a malformed cursor with VALIDATION', async () => {
    h = await startHarness();
    const big = await h.gql('viewer', '{ events(first: 501) { edges { cursor } } }');
    expect(big.body.errors?.[0].extensions?.code).toBe('VALIDATION');
    const bad = await h.gql('viewer', '{ events(after: "bm9wZQ") { edges { cursor } } }');
    expect(bad.body.errors?.[0].extensions?.code).toBe('VALIDATION');
  });
});

describe('runtimeContract and checkDrift', () => {
  it('reports validity, services and drift; checkDrift records drift_detected and then drift_resolved', async () => {
    const dir = await tempDir('medic-api-');
    await makeCondaEnv(dir, 'app');
    const doc = (python: string) => ({
      version: 1,
      supervisor: { kind: 'systemd', scope: 'user' },
      conda: { root: dir, env: 'app', python },
      services: [{ name: 'api', unit: 'api.service', command: ['python', '-m', 'http.server'] }],
    });
    const path = await writeContract(dir, doc('2.7'));
    h = await startHarness({
      deps: ({ engine, clock }) => ({
        contract: createContractStatus({ path, engine, clock, drift: { sources: ['fs'] } }),
      }),
    });
    const query =
      '{ runtimeContract { path valid errors services drift { ok checkedAt findings { source service field expected actual severity fix } } } }';
    const before = await h.gql('viewer', query);
    expect(before.body.data).toEqual({
      runtimeContract: { path, valid: true, errors: [], services: ['api'], drift: null },
    });

    const check =
      'mutation { checkDrift { __typename ... on DriftReport { ok checkedAt findings { source field expected actual severity fix } } } }';
    const drifted = await h.gql('operator', check);
    const report = (drifted.body.data as { checkDrift: any }).checkDrift;
    expect(report).toMatchObject({
      __typename: 'DriftReport',
      ok: false,
      checkedAt: '2026-01-01T00:00:00.000Z',
    });
    expect(report.findings).toContainEqual(
      expect.objectContaining({
        source: 'fs',
        severity: 'error',
        expected: '2.7',
        actual: expect.stringMatching(/^3\./),
      }),
    );
    const after = await h.gql('viewer', query);
    expect((after.body.data as any).runtimeContract.drift.ok).toBe(false);

    await h.gql('operator', check); // unchanged findings are not recorded again
    await writeContract(dir, doc(MAJOR_MINOR));
    const fixed = await h.gql('operator', check);
    expect((fixed.body.data as any).checkDrift).toMatchObject({ ok: true, findings: [] });
    const kinds = h.store.listEvents({ order: 'asc' }).events.map((e) => e.kind);
    expect(kinds).toEqual(['drift_detected', 'drift_resolved']);
  });

  it('reports an invalid contract with every problem, and checkDrift answers VALIDATION', async () => {
    const dir = await tempDir('medic-api-');
    const path = await writeContract(dir, { version: 2, services: 'none' });
    h = await startHarness({
      deps: ({ engine, clock }) => ({ contract: createContractStatus({ path, engine, clock }) }),
    });
    const { body } = await h.gql('viewer', '{ runtimeContract { valid errors services } }');
    const rc = (body.data as any).runtimeContract;
    expect(rc.valid).toBe(false);
    expect(rc.errors.length).toBeGreaterThan(1);
    expect(rc.services).toEqual([]);
    const check = await h.gql(
      'operator',
      'mutation { checkDrift { __typename ... on MutationError { code message } } }',
    );
    expect((check.body.data as any).checkDrift).toMatchObject({
      __typename: 'ValidationError',
      code: 'VALIDATION',
    });
    await writeFile(path, 'version: 1\n');
  });
});
