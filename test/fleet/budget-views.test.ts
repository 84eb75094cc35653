/**
 * The fleet restart budget's views (issue 16), real hub on a real PostgreSQL, a real `medic serve`
 * agent (process backend) shipping to it: while a lease held elsewhere fills the group, the
 * agent's crashed service waits, and
 * - `budgetGroups` at the hub shows the whole group now (in flight, used, limits, the waiting
 *   service with its node); on the agent the same type shows its own group with the numbers of
 *   the hub's last answer and its own waiting service;
 * - `medic budget` gives the same table against either (MEDIC_URL), exit 1 while a service
 *   waits, 0 once nothing does, 2 for an unknown group;
 * - the hub's /metrics has `medic_budget_in_flight{group}`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMedic } from '../helpers/cli.js';
import { waitFor } from '../helpers/systemd.js';
import { type BudgetScene, startBudgetScene } from './budget-scene.js';
import { gql } from './hub-client.js';
import { skipPg } from './pg.js';

const medic = (args: string[], env: Record<string, string>) => runMedic(args, { env });

const QUERY = `{ budgetGroups { name maxConcurrent maxPerWindow windowSec inFlight usedInWindow waiting heardAt
  waitingServices { node service since position } } }`;

describe.skipIf(skipPg)('the fleet budget groups at the hub and on an agent', () => {
  let scene: BudgetScene;
  let atHub: Record<string, string> = {};
  let atAgent: Record<string, string> = {};

  beforeAll(async () => {
    scene = await startBudgetScene(`budget-views-${process.pid}`);
    ({ atHub, atAgent } = scene);
  }, 90_000);

  afterAll(async () => {
    await scene?.close();
  });

  it('shows the waiting service at the hub and on its agent, in GraphQL, the CLI and the metrics', async () => {
    // Before the hub ever answered for it, the agent knows its group's limits, not its numbers.
    const before = await gql(atAgent.MEDIC_URL!, atAgent.MEDIC_TOKEN!, QUERY);
    expect(before.data?.budgetGroups).toEqual([
      {
        name: 'views',
        maxConcurrent: 1,
        maxPerWindow: 100,
        windowSec: 300,
        inFlight: null,
        usedInWindow: null,
        waiting: null,
        heardAt: null,
        waitingServices: [],
      },
    ]);

    // Another node holds the group's only slot; then the agent's service crashes.
    await scene.fill();
    scene.crash();

    type Groups = { budgetGroups: Record<string, unknown>[] };
    const fleet = await waitFor(
      async () => {
        const r = await gql(scene.hub.url, atHub.MEDIC_TOKEN!, QUERY);
        const g = (r.data as Groups | undefined)?.budgetGroups?.[0];
        return g && g.waiting === 1 ? g : null;
      },
      30_000,
      100,
    );
    expect(fleet).toMatchObject({
      name: 'views',
      maxConcurrent: 1,
      inFlight: 1,
      usedInWindow: 1,
      waiting: 1,
      waitingServices: [{ node: 'node-a', service: 'api', position: 1 }],
    });
    const local = ((await gql(atAgent.MEDIC_URL!, atAgent.MEDIC_TOKEN!, QUERY)).data as Groups)
      .budgetGroups[0];
    expect(local).toMatchObject({
      name: 'views',
      maxConcurrent: 1,
      maxPerWindow: 100,
      inFlight: 1,
      waiting: 1,
      waitingServices: [{ node: 'node-a', service: 'api', position: 1 }],
    });
    expect(local!.heardAt).toEqual(expect.stringMatching(/^\d{4}-/));

    for (const env of [atHub, atAgent]) {
      const table = await medic(['budget'], env);
      expect(table.err).toBe('');
      expect(table.code).toBe(1);
      const lines = table.out.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^GROUP\s+IN FLIGHT\s+USED\s+WAITING\s+AS OF$/);
      expect(lines[1]).toMatch(/^views\s+1\/1\s+1\/100 in 300s\s+1\s+/);
      expect(table.out).toMatch(/#1\s+node-a\s+api\s+since /);
      const json = await medic(['budget', 'views', '--json'], env);
      expect(json.code).toBe(1);
      expect(JSON.parse(json.out)).toEqual([expect.objectContaining({ name: 'views', inFlight: 1 })]);
      const unknown = await medic(['budget', 'nope'], env);
      expect(unknown).toEqual({ code: 2, out: '', err: "medic budget: no fleet budget group 'nope' here\n" });
    }

    const metrics = await (
      await fetch(`${scene.hub.url}/metrics`, { headers: { authorization: `Bearer ${atHub.MEDIC_TOKEN}` } })
    ).text();
    expect(metrics).toContain('medic_budget_in_flight{group="views"} 1');

    // The slot frees: the agent gets its lease, restarts, recovers and ends the lease.
    await scene.free();
    await waitFor(
      async () => {
        const r = await medic(['budget'], atHub);
        return r.code === 0 && /^views\s+0\/1\s+2\/100/m.test(r.out) ? r : null;
      },
      30_000,
      200,
    );
    await waitFor(async () => ((await medic(['budget'], atAgent)).code === 0 ? true : null), 10_000, 200);
    const after = await (
      await fetch(`${scene.hub.url}/metrics`, { headers: { authorization: `Bearer ${atHub.MEDIC_TOKEN}` } })
    ).text();
    expect(after).toContain('medic_budget_in_flight{group="views"} 0');
  }, 120_000);
});
