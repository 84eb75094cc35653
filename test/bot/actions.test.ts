import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signV0 } from '../../bot/verify.js';
import { THROTTLE_DEFAULTS } from '../../src/core/throttle.js';
import {
  ADMIN,
  buttonValue,
  type Harness,
  lastParent,
  OPERATOR,
  openCircuit,
  send,
  settle,
  startHarness,
  VIEWER,
} from './harness.js';
import { blockActions, FORM } from './slack-requests.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  await openCircuit(h);
  await settle(h);
});
afterEach(async () => {
  await h.close();
});

const approvedRestarts = () =>
  h.restarts.filter((r) => r.effect.type === 'restart' && r.effect.initiator === 'approved');
const responses = () => h.fake.responded.map((r) => String(r.body.text));

describe('Approve button', () => {
  it('restarts exactly once for two concurrent clicks and a retried delivery', async () => {
    const id = buttonValue(h, 'medic_approve')!;
    expect(id).toBeTruthy();
    const first = blockActions(h.who(OPERATOR), {
      actionId: 'medic_approve',
      value: id,
      responseUrl: h.fake.responseUrl('op'),
    });
    const second = blockActions(h.who(ADMIN), {
      actionId: 'medic_approve',
      value: id,
      responseUrl: h.fake.responseUrl('adm'),
    });
    const sent = await Promise.all([
      send(h, first, FORM),
      send(h, second, FORM),
      send(h, first, FORM, { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } }),
    ]);
    expect(sent.map((s) => s.status)).toEqual([200, 200, 200]);
    await settle(h);
    await h.fake.waitFor(() => h.fake.responded.length >= 1);
    expect(approvedRestarts()).toHaveLength(1);
    // the retried delivery was acknowledged but not processed: one private reply per click
    expect(h.fake.responded.filter((r) => r.id === 'op')).toHaveLength(1);
    expect(h.fake.responded.filter((r) => r.id === 'adm')).toHaveLength(1);
    const decisions = h.store.listEvents({ service: 'api', kinds: ['restart_decided'] }).events;
    expect(decisions.filter((e) => e.decision === 'restart_approved')).toHaveLength(1);
    const pa = h.store.getPendingAction(id)!;
    expect(pa.usedBy === `slack:${OPERATOR}` || pa.usedBy === `slack:${ADMIN}`).toBe(true);
    const loser = pa.usedBy === `slack:${OPERATOR}` ? 'adm' : 'op';
    const winner = pa.usedBy!.slice(6);
    const loserReply = h.fake.responded.find((r) => r.id === loser);
    expect(String(loserReply?.body.text)).toMatch(
      new RegExp(`Already approved by <@${winner}> at \\d\\d:\\d\\d`),
    );
    expect(loserReply?.body.response_type).toBe('ephemeral');
    // the parent now says who approved and offers no Approve button
    expect(lastParent(h).blocks).toMatch(new RegExp(`Approved by <@${winner}> at \\d\\d:\\d\\d`));
    expect(lastParent(h).blocks).not.toContain('medic_approve');
  });

  it('answers a click on an outdated message with who already acted, and does nothing', async () => {
    const id = buttonValue(h, 'medic_approve')!;
    await send(h, blockActions(h.who(OPERATOR), { actionId: 'medic_approve', value: id }), FORM);
    await settle(h);
    const late = blockActions(h.who(ADMIN), {
      actionId: 'medic_approve',
      value: id,
      responseUrl: h.fake.responseUrl('late'),
    });
    await send(h, late, FORM);
    await h.fake.waitFor(() => h.fake.responded.find((r) => r.id === 'late'));
    await settle(h);
    expect(approvedRestarts()).toHaveLength(1);
    expect(responses().at(-1)).toContain(`Already approved by <@${OPERATOR}>`);
  });

  it('refuses a viewer, audits access_denied with the Slack user, and leaves the button usable', async () => {
    const id = buttonValue(h, 'medic_approve')!;
    await send(
      h,
      blockActions(h.who(VIEWER), {
        actionId: 'medic_approve',
        value: id,
        responseUrl: h.fake.responseUrl('v'),
      }),
      FORM,
    );
    await h.fake.waitFor(() => h.fake.responded.find((r) => r.id === 'v'));
    await settle(h);
    expect(responses().at(-1)).toContain('Not allowed');
    expect(approvedRestarts()).toHaveLength(0);
    const denied = h.store.listEvents({ kinds: ['access_denied'] }).events;
    expect(denied).toHaveLength(1);
    expect(denied[0].actor).toBe(`slack:${VIEWER}`);
    expect(denied[0].service).toBe('api');
    expect(h.store.getPendingAction(id)?.usedAt).toBeNull();
  });

  it('blocks with the chosen TTL from the select and then offers Release', async () => {
    const value = buttonValue(h, 'medic_block')!; // first option: 30 min
    const pendingId = value.split(':')[0];
    const twoHours = `${pendingId}:7200`;
    await send(h, blockActions(h.who(OPERATOR), { actionId: 'medic_block', selectedValue: twoHours }), FORM);
    await settle(h);
    const view = h.engine.view('api')!;
    expect(view.state.tag).toBe('held');
    expect(view.hold?.until).toBe(h.clock.now() + 7200_000);
    expect(view.hold?.actor).toBe(`slack:${OPERATOR}`);
    expect(lastParent(h).blocks).toContain('medic_release');
    expect(lastParent(h).blocks).toMatch(/Blocked by <@U0OPERATOR> at/);
    const release = buttonValue(h, 'medic_release')!;
    await send(h, blockActions(h.who(OPERATOR), { actionId: 'medic_release', value: release }), FORM);
    await settle(h);
    expect(h.engine.view('api')!.state.tag).toBe('circuit_open'); // releasing never closes an open circuit
  });

  it('refuses a Block option whose TTL was not offered', async () => {
    const pendingId = buttonValue(h, 'medic_block')!.split(':')[0];
    await send(
      h,
      blockActions(h.who(OPERATOR), {
        actionId: 'medic_block',
        selectedValue: `${pendingId}:999999`,
        responseUrl: h.fake.responseUrl('b'),
      }),
      FORM,
    );
    await h.fake.waitFor(() => h.fake.responded.find((r) => r.id === 'b'));
    expect(h.engine.view('api')!.state.tag).toBe('circuit_open');
  });
});

describe('request verification', () => {
  const cases: Array<[string, (body: string, ts: number) => { timestamp: number; signature?: string }]> = [
    ['a bad signature', (_b, ts) => ({ timestamp: ts, signature: `v0=${'0'.repeat(64)}` })],
    [
      'a signature made with another secret',
      (b, ts) => ({ timestamp: ts, signature: signV0('other-secret', ts, b) }),
    ],
    ['a stale timestamp (> 5 min old)', (_b, ts) => ({ timestamp: ts - 301 })],
    ['a future timestamp (> 5 min ahead)', (_b, ts) => ({ timestamp: ts + 301 })],
  ];
  for (const [name, make] of cases) {
    it(`answers 401 to ${name} and changes nothing`, async () => {
      const id = buttonValue(h, 'medic_approve')!;
      const body = blockActions(h.who(ADMIN), { actionId: 'medic_approve', value: id });
      const callsBefore = h.fake.calls.length;
      const eventsBefore = h.store.listEvents({ order: 'desc', first: 1 }).events[0].id;
      const res = await send(h, body, FORM, make(body, h.nowSec()));
      expect(res.status).toBe(401);
      await new Promise((r) => setTimeout(r, 50));
      await settle(h);
      expect(approvedRestarts()).toHaveLength(0);
      expect(h.store.getPendingAction(id)?.usedAt).toBeNull();
      expect(h.store.listEvents({ order: 'desc', first: 1 }).events[0].id).toBe(eventsBefore);
      expect(h.fake.calls.length).toBe(callsBefore);
    });
  }

  it('accepts a timestamp 4 minutes ahead (clock skew inside the window)', async () => {
    const id = buttonValue(h, 'medic_approve')!;
    const body = blockActions(h.who(ADMIN), { actionId: 'medic_approve', value: id });
    const res = await send(h, body, FORM, { timestamp: h.nowSec() + 240 });
    expect(res.status).toBe(200);
  });

  it('answers 403 to another team or app', async () => {
    const id = buttonValue(h, 'medic_approve')!;
    const other = { ...h.who(ADMIN), team: 'T0OTHER' };
    expect((await send(h, blockActions(other, { actionId: 'medic_approve', value: id }), FORM)).status).toBe(
      403,
    );
    const otherApp = { ...h.who(ADMIN), app: 'A0OTHER' };
    expect(
      (await send(h, blockActions(otherApp, { actionId: 'medic_approve', value: id }), FORM)).status,
    ).toBe(403);
    await settle(h);
    expect(approvedRestarts()).toHaveLength(0);
  });

  it('answers the url_verification challenge', async () => {
    const res = await send(
      h,
      JSON.stringify({ type: 'url_verification', challenge: 'abc123', token: 't' }),
      'application/json',
    );
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ challenge: 'abc123' });
  });

  it('answers 429 with Retry-After to a source past the invalid-request threshold, and logs a summary', async () => {
    const bad = () => fetch(`${h.url}/slack/events`, { method: 'POST', body: 'x=1' });
    for (let i = 0; i < THROTTLE_DEFAULTS.maxPerWindow + 1; i++) expect((await bad()).status).toBe(401);
    const limited = await bad();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('60');
    // Even a correctly signed request from that source waits: no work for a flooding source.
    const id = buttonValue(h, 'medic_approve')!;
    const ok = await send(h, blockActions(h.who(ADMIN), { actionId: 'medic_approve', value: id }), FORM);
    expect(ok.status).toBe(429);
    expect(h.logs.filter((l) => l.includes('slack request refused: signature'))).toHaveLength(1);
  });

  it('refuses GET and unsigned requests', async () => {
    expect((await fetch(`${h.url}/slack/events`)).status).toBe(405);
    expect((await fetch(`${h.url}/slack/events`, { method: 'POST', body: 'x=1' })).status).toBe(401);
  });
});
