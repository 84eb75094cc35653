/**
 * Slack user groups as roles (issue 17): SLACK_OPERATOR_GROUPS / SLACK_ADMIN_GROUPS read with
 * usergroups.users.list from the fake Slack Web API, checked at every click and command, cached
 * with a short TTL and refreshed on a miss; refusals audited as today.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GroupRoles } from '../../bot/usergroups.js';
import { buttonValue, type Harness, openCircuit, send, settle, startHarness, VIEWER } from './harness.js';
import { blockActions, FORM, slashCommand } from './slack-requests.js';

const ONCALL = 'U0ONCALL';
const GROUP = 'S0ONCALL';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function start(): Promise<Harness> {
  const x = await startHarness({
    env: { SLACK_OPERATOR_GROUPS: GROUP, SLACK_USERGROUP_TTL_SEC: '60' },
    fakeSetup: (fake) => fake.userGroups.set(GROUP, new Set([ONCALL])),
  });
  h = x;
  await openCircuit(x);
  await settle(x);
  return x;
}

const approvals = () =>
  h!.store
    .listEvents({ service: 'api', kinds: ['restart_decided'] })
    .events.filter((e) => e.decision === 'restart_approved');

async function click(user: string, reply: string) {
  const x = h!;
  const id = buttonValue(x, 'medic_approve')!;
  const body = blockActions(x.who(user), {
    actionId: 'medic_approve',
    value: id,
    responseUrl: x.fake.responseUrl(reply),
  });
  await send(x, body, FORM);
  await settle(x);
  return x.fake.waitFor(() => x.fake.responded.find((r) => r.id === reply));
}

describe('Slack user groups as roles', () => {
  it('a member of an operator group may approve; the list is read once and cached', async () => {
    const x = await start();
    const r = await click(ONCALL, 'a');
    expect(String(r.body.text)).not.toMatch(/Not allowed/);
    expect(approvals()).toHaveLength(1);
    expect(approvals()[0].actor).toBe(`slack:${ONCALL}`);
    expect(x.fake.of('usergroups.users.list').map((c) => c.args.usergroup)).toEqual([GROUP]);
  });

  it('someone outside the group is refused (audited as today), after one refresh on the miss', async () => {
    const x = await start();
    const r = await click(VIEWER, 'v');
    expect(String(r.body.text)).toMatch(/Not allowed: approve needs the operator role \(you are viewer\)/);
    expect(approvals()).toHaveLength(0);
    expect(x.store.listEvents({ kinds: ['access_denied'] }).events.map((e) => e.actor)).toEqual([
      `slack:${VIEWER}`,
    ]);
  });

  it('a member removed from the group loses the right within the TTL; one added is recognised at once (refresh on a miss)', async () => {
    const x = await start();
    // Warm the cache with a command by the member.
    await send(x, slashCommand(x.who(ONCALL), 'status', x.fake.responseUrl('s1')), FORM);
    await settle(x);
    x.fake.userGroups.set(GROUP, new Set([VIEWER])); // ONCALL removed, VIEWER added
    // VIEWER: a miss in the cached list → refreshed → allowed now.
    const added = await click(VIEWER, 'v');
    expect(String(added.body.text)).not.toMatch(/Not allowed/);
    expect(approvals().map((e) => e.actor)).toEqual([`slack:${VIEWER}`]);
  });

  it('the TTL bounds a removed member (unit, fake Web API client)', async () => {
    const members = new Map([[GROUP, ['U1']]]);
    let calls = 0;
    let now = 0;
    const api = {
      usergroups: {
        users: {
          list: async ({ usergroup }: { usergroup: string }) => {
            calls += 1;
            return { ok: true, users: members.get(usergroup) ?? [] };
          },
        },
      },
    };
    const g = new GroupRoles(
      api,
      { operatorGroups: [GROUP], adminGroups: [], ttlMs: 60_000 },
      { now: () => now },
    );
    expect(await g.roleOf('U1')).toBe('operator');
    members.set(GROUP, []);
    now = 59_999;
    expect(await g.roleOf('U1')).toBe('operator'); // cached: still within the TTL
    now = 60_000;
    expect(await g.roleOf('U1')).toBe('viewer'); // expired: re-read, gone
    expect(calls).toBe(2);
    // Misses refresh at most once per 5 s per group (ten misses: one refresh).
    now = 60_001;
    for (let i = 0; i < 10; i++) expect(await g.roleOf('U2')).toBe('viewer');
    expect(calls).toBe(3);
    now = 65_001;
    members.set(GROUP, ['U2']);
    expect(await g.roleOf('U2')).toBe('operator');
    expect(calls).toBe(4);
  });

  it('a group that cannot be read grants nothing (id lists still apply) and is logged', async () => {
    const errors: string[] = [];
    const api = { usergroups: { users: { list: async () => ({ ok: false, error: 'missing_scope' }) } } };
    const g = new GroupRoles(
      api,
      { operatorGroups: [GROUP], adminGroups: [], ttlMs: 60_000 },
      { now: () => 0 },
      (group, err) => errors.push(`${group}: ${(err as Error).message}`),
    );
    expect(await g.roleOf('U1')).toBe('viewer');
    expect(errors).toEqual([`${GROUP}: missing_scope`]);
  });
});
