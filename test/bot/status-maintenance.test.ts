/**
 * `/medic status` and App Home show, for each service, the maintenance window in force and its
 * end, and for a service waiting for a fleet restart lease the budget group it waits in — read
 * over GraphQL (`Service.maintenance`, `Service.policy.budget.group`). Real signed requests to the
 * bot, the fake Slack Web API at the wire.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, OPERATOR, send, settle, startHarness, VIEWER } from './harness.js';
import { appHomeOpened, FORM, slashCommand } from './slack-requests.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

async function command(user: string, text: string, id: string) {
  const res = await send(h, slashCommand(h.who(user), text, h.fake.responseUrl(id)), FORM);
  expect(res.status).toBe(200);
  const reply = await h.fake.waitFor(() => h.fake.responded.find((r) => r.id === id));
  await settle(h);
  return reply.body;
}

describe('/medic status and App Home: the window in force and the budget group', () => {
  it('show the maintenance window in force and its end for each service it covers', async () => {
    h = await startHarness();
    await command(OPERATOR, 'maintenance 2h services=api upgrading postgres', 'm1');
    const one = JSON.stringify((await command(VIEWER, 'status api', 's1')).blocks);
    expect(one).toContain('Maintenance window adhoc-1 (hold: no automatic restarts) until 02:00');
    const all = JSON.stringify((await command(VIEWER, 'status', 's2')).blocks);
    expect(all.match(/Maintenance window adhoc-1/g)).toHaveLength(1); // api only, not worker

    await send(h, appHomeOpened(h.who(OPERATOR)), 'application/json');
    const publish = await h.fake.waitFor(() => h.fake.of('views.publish')[0]);
    const home = JSON.stringify(publish.args.view);
    // api is healthy, but inside a window: shown with the window and its end.
    expect(home).toContain('*api*');
    expect(home).toContain('Maintenance window adhoc-1 (hold: no automatic restarts) until 02:00');
    expect(home).not.toContain('*worker*');
  });

  it('a service waiting for a fleet restart lease shows its budget group', async () => {
    h = await startHarness({
      policy: {
        failureThreshold: 1,
        budget: {
          group: 'shop-api',
          maxConcurrent: 1,
          maxPerWindow: 5,
          windowSec: 300,
          onHubUnreachable: 'wait',
          timeoutMs: 500,
        },
      },
    });
    await h.engine.submit('api', { type: 'exited', code: 1 }, { source: 'process' });
    await h.engine.idle();
    expect(h.engine.view('api')?.state.tag).toBe('budget_wait');
    const one = JSON.stringify((await command(VIEWER, 'status api', 'b1')).blocks);
    expect(one).toContain('Fleet budget: waiting for a restart lease in group `shop-api`');
    await send(h, appHomeOpened(h.who(OPERATOR)), 'application/json');
    const publish = await h.fake.waitFor(() => h.fake.of('views.publish')[0]);
    expect(JSON.stringify(publish.args.view)).toContain('waiting for a restart lease in group `shop-api`');
  });
});
