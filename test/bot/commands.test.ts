import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_TEAM } from './fake-slack.js';
import {
  APP_ID,
  buttonValue,
  type Harness,
  OPERATOR,
  openCircuit,
  send,
  settle,
  startHarness,
  threadTexts,
  VIEWER,
} from './harness.js';
import { appHomeOpened, blockActions, FORM, slashCommand } from './slack-requests.js';

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

describe('/medic', () => {
  beforeEach(async () => {
    h = await startHarness();
  });

  it('acks at once and answers status privately with state and recommendation', async () => {
    await openCircuit(h);
    await settle(h);
    const reply = await command(VIEWER, 'status api', 's1');
    expect(reply.response_type).toBe('ephemeral');
    const json = JSON.stringify(reply.blocks);
    expect(json).toContain('*api*');
    expect(json).toContain('circuit_open');
    expect(json).toContain('Recommended');
    const all = await command(VIEWER, 'status', 's2');
    expect(JSON.stringify(all.blocks)).toContain('2 services*, 1 need attention');
  });

  it('blocks with a TTL, records it in the incident thread, then releases', async () => {
    await openCircuit(h);
    await settle(h);
    const reply = await command(OPERATOR, 'block api 2h deploying v2', 'b1');
    expect(String(reply.text)).toContain('Blocked automatic restarts of *api* for 2 h');
    const view = h.engine.view('api')!;
    expect(view.state.tag).toBe('held');
    expect(view.hold).toMatchObject({ actor: `slack:${OPERATOR}`, reason: 'deploying v2' });
    expect(
      threadTexts(h).some(
        (t) => t.includes(`Automatic restarts blocked by <@${OPERATOR}>`) && t.includes('deploying v2'),
      ),
    ).toBe(true);
    // the button minted for Block was consumed by the command: a later click says who did it
    await command(OPERATOR, 'release api done', 'r1');
    expect(h.engine.view('api')!.state.tag).toBe('circuit_open');
    expect(threadTexts(h).some((t) => t.includes(`Hold released by <@${OPERATOR}>`))).toBe(true);
  });

  it('approves from the command and consumes the button, so a later click does nothing', async () => {
    await openCircuit(h);
    await settle(h);
    const id = buttonValue(h, 'medic_approve')!;
    const reply = await command(OPERATOR, 'approve api journal looks fine', 'a1');
    expect(String(reply.text)).toContain('Approved one probe restart');
    await send(
      h,
      blockActions(h.who(OPERATOR), {
        actionId: 'medic_approve',
        value: id,
        responseUrl: h.fake.responseUrl('c'),
      }),
      FORM,
    );
    const late = await h.fake.waitFor(() => h.fake.responded.find((r) => r.id === 'c'));
    expect(String(late.body.text)).toContain(`Already approved by <@${OPERATOR}>`);
    await settle(h);
    expect(
      h.restarts.filter((r) => r.effect.type === 'restart' && r.effect.initiator === 'approved'),
    ).toHaveLength(1);
  });

  it('refuses a viewer’s approve with the reason and audits it', async () => {
    await openCircuit(h);
    await settle(h);
    const reply = await command(VIEWER, 'approve api', 'v1');
    expect(String(reply.text)).toContain('Not allowed');
    const denied = h.store.listEvents({ kinds: ['access_denied'] }).events;
    expect(denied.map((e) => e.actor)).toEqual([`slack:${VIEWER}`]);
  });

  it('explains usage and bad input privately', async () => {
    expect(String((await command(VIEWER, 'help', 'h1')).text)).toContain('/medic block <service>');
    expect(String((await command(OPERATOR, 'block api soon', 'h2')).text)).toContain('Usage');
    expect(String((await command(VIEWER, 'status nope', 'h3')).text)).toContain('No service named');
    expect(String((await command(VIEWER, 'drift', 'h4')).text)).toContain('No runtime contract');
  });

  it('says no approval is pending when the service is healthy', async () => {
    expect(String((await command(OPERATOR, 'approve api', 'n1')).text)).toContain('No approval is pending');
  });
});

describe('App Home and /go links', () => {
  beforeEach(async () => {
    h = await startHarness();
  });

  it('publishes the services that need attention with their buttons, once per event delivery', async () => {
    await openCircuit(h);
    await settle(h);
    const body = appHomeOpened(h.who(OPERATOR), 'Ev0HOME1');
    expect((await send(h, body, 'application/json')).status).toBe(200);
    expect((await send(h, body, 'application/json', { headers: { 'x-slack-retry-num': '1' } })).status).toBe(
      200,
    );
    const publish = await h.fake.waitFor(() => h.fake.of('views.publish')[0]);
    await settle(h);
    expect(h.fake.of('views.publish')).toHaveLength(1);
    expect(publish.args.user_id).toBe(OPERATOR);
    const json = JSON.stringify(publish.args.view);
    expect(json).toContain('1 of 2 services need attention');
    expect(json).toContain('medic_approve');
    expect(json).not.toContain('*worker*');
  });

  it('re-publishes Home after an action taken there', async () => {
    await openCircuit(h);
    await settle(h);
    await send(h, appHomeOpened(h.who(OPERATOR)), 'application/json');
    const publish = await h.fake.waitFor(() => h.fake.of('views.publish')[0]);
    const blocks = (
      publish.args.view as { blocks: Array<{ elements?: Array<{ action_id?: string; value?: string }> }> }
    ).blocks;
    const id = blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === 'medic_approve')?.value;
    expect(id).toBeTruthy();
    await send(
      h,
      blockActions(h.who(OPERATOR), { actionId: 'medic_approve', value: id, view: 'home' }),
      FORM,
    );
    await h.fake.waitFor(() => h.fake.of('views.publish').length >= 2);
    await settle(h);
    expect(
      h.restarts.filter((r) => r.effect.type === 'restart' && r.effect.initiator === 'approved'),
    ).toHaveLength(1);
    expect(JSON.stringify(h.fake.of('views.publish').at(-1)?.args.view)).not.toContain('medic_approve');
  });

  it('redirects /go/<service> to the incident permalink, else to the app Home', async () => {
    await openCircuit(h);
    await settle(h);
    const go = await fetch(`${h.url}/go/api`, { redirect: 'manual' });
    expect(go.status).toBe(302);
    // the fake numbers messages 1767225600.000001, .000002, …: the parent is the first one
    expect(go.headers.get('location')).toBe('https://fake.slack.com/archives/C0INCIDENTS/p1767225600000001');
    expect(h.fake.of('chat.getPermalink')[0].args).toMatchObject({
      channel: 'C0INCIDENTS',
      message_ts: '1767225600.000001',
    });
    const home = await fetch(`${h.url}/go/worker`, { redirect: 'manual' });
    expect(home.status).toBe(302);
    expect(home.headers.get('location')).toBe(`slack://app?team=${FAKE_TEAM}&id=${APP_ID}&tab=home`);
  });
});

describe('/medic status with many services', () => {
  it('stays inside Block Kit limits (the fake Slack rejects oversized messages like Slack)', async () => {
    h = await startHarness({ services: Array.from({ length: 300 }, (_, i) => `svc-${i}`) });
    const reply = await command(OPERATOR, 'status', 'many');
    const blocks = reply.blocks as unknown[];
    expect(blocks.length).toBeLessThanOrEqual(50);
    expect(JSON.stringify(blocks).length).toBeLessThanOrEqual(12_000);
    expect(JSON.stringify(blocks.at(-1))).toContain('more not shown');
  });
});
