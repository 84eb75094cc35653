import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  buttonValue,
  CHANNEL,
  type Harness,
  lastParent,
  OPERATOR,
  openCircuit,
  send,
  settle,
  startHarness,
  threadTexts,
} from './harness.js';
import { blockActions, FORM } from './slack-requests.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const parents = () => h.fake.of('chat.postMessage').filter((c) => !c.args.thread_ts);
const actionIds = (blocks: string) =>
  blocks.match(/"action_id":"[a-z_]+"/g)?.map((s) => s.slice(13, -1)) ?? [];

describe('incident messages', () => {
  it('posts one parent with state, churn, recommendation and Approve/Block/Runbook when a circuit opens', async () => {
    await openCircuit(h);
    await settle(h);
    expect(parents()).toHaveLength(1);
    const { args } = parents()[0];
    expect(args.channel).toBe(CHANNEL);
    expect(String(args.text)).toMatch(/^api: circuit opened/);
    const json = JSON.stringify(args.blocks);
    expect(json).toContain('restarts in 10 min');
    expect(json).toContain('half-open at');
    expect(json).toContain('journalctl -u api.service');
    expect(json).toContain('https://medic.example.com/runbook#');
    expect(actionIds(json)).toEqual(['medic_approve', 'medic_block', 'medic_runbook']);
    expect(json).toContain('"style":"danger"'); // Block's confirm dialog stops automation
    expect(json).toContain('"confirm"');
    // approval_requested and the hard stop follow in the thread, not as new parents
    expect(threadTexts(h).some((t) => t.includes('Approval requested'))).toBe(true);
  });

  it('opens an incident on the first blocked restart of a run and stays quiet for the repeats', async () => {
    for (let i = 0; i < 3; i++) await h.engine.submit('api', { type: 'probe_failed' }); // restart
    await h.engine.submit('api', { type: 'exited', code: 1 }); // the restart failed: cooldown
    for (let i = 0; i < 6; i++) await h.engine.submit('api', { type: 'probe_failed' }); // inside cooldown
    await settle(h);
    // The first refusal of the episode is written; the five repeats are counted, not written.
    const blocked = h.store.listEvents({ service: 'api', kinds: ['restart_blocked'] }).events;
    expect(blocked).toHaveLength(1);
    expect(h.engine.view('api')!.churn.blockedAttempts).toBe(6);
    expect(parents()).toHaveLength(1);
    expect(String(parents()[0].args.text)).toContain('automatic restart blocked');
    expect(actionIds(lastParent(h).blocks)).toEqual(['medic_block', 'medic_runbook']);
    expect(h.fake.of('chat.update')).toHaveLength(0); // nothing per probe
  });

  it('announces an expired hold with a Block button to hold again', async () => {
    await h.engine.submit('worker', {
      type: 'hold',
      ttlSec: 60,
      actor: 'slack:U0OPERATOR',
      reason: 'deploy',
    });
    h.clock.advance(61_000);
    await settle(h);
    const hold = parents().find((c) => String(c.args.text).includes('hold expired'));
    expect(hold).toBeDefined();
    expect(actionIds(JSON.stringify(hold?.args.blocks))).toContain('medic_block');
  });

  it('posts drift findings with their fix command', async () => {
    h.engine.record({
      service: 'api',
      kind: 'drift_detected',
      decision: null,
      taken: null,
      input: null,
      actor: 'medic',
      reason: '1 finding',
      stateFrom: null,
      stateTo: null,
      counters: null,
      effects: [],
      mode: null,
      data: {
        findings: [
          {
            source: 'systemd',
            service: 'api',
            field: 'ExecStart',
            expected: '/opt/conda/envs/api/bin/python app.py',
            actual: '/usr/bin/python3 app.py',
            severity: 'error',
            fix: 'medic contract render',
          },
        ],
      },
    });
    await settle(h);
    expect(parents()).toHaveLength(1);
    const json = JSON.stringify(parents()[0].args.blocks);
    expect(json).toContain('runtime contract drift');
    expect(json).toContain('ExecStart');
    expect(json).toContain('medic contract render');
  });

  it('opens an incident on an approval request on its own', async () => {
    h.engine.record({
      service: 'worker',
      kind: 'approval_requested',
      decision: null,
      taken: null,
      input: null,
      actor: 'medic',
      reason: 'approve one probe restart',
      stateFrom: null,
      stateTo: 'healthy',
      counters: null,
      effects: [],
      mode: null,
      data: null,
    });
    await settle(h);
    expect(parents()).toHaveLength(1);
    expect(String(parents()[0].args.text)).toContain('approval requested');
  });

  it('threads follow-ups and updates the parent in place until the circuit closes', async () => {
    await openCircuit(h);
    await settle(h);
    const approve = buttonValue(h, 'medic_approve');
    expect(approve).toBeDefined();
    const clicked = await send(
      h,
      blockActions(h.who(OPERATOR), { actionId: 'medic_approve', value: approve }),
      FORM,
    );
    expect(clicked.status).toBe(200);
    await settle(h);
    await h.engine.submit('api', { type: 'probe_ok' });
    h.clock.advance(601_000);
    await h.engine.submit('api', { type: 'probe_ok' });
    h.clock.advance(601_000);
    await settle(h);
    const notes = threadTexts(h);
    expect(notes.some((t) => t.includes('Probe restart approved by <@U0OPERATOR>'))).toBe(true);
    expect(notes.some((t) => t.includes('Restart executed'))).toBe(true);
    expect(notes.some((t) => t.includes('Circuit closed'))).toBe(true);
    expect(parents()).toHaveLength(1); // never a second parent for the same incident
    const updates = h.fake.of('chat.update');
    expect(updates.every((u) => u.args.ts === updates[0].args.ts)).toBe(true);
    expect(parents()[0].args.channel).toBe(CHANNEL);
    const final = lastParent(h);
    expect(final.text).toContain('[resolved]');
    expect(final.blocks).toMatch(/Approved by <@U0OPERATOR> at \d\d:\d\d/);
    expect(actionIds(final.blocks)).toEqual(['medic_runbook']);
  });
});
