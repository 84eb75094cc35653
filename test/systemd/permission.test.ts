/**
 * The start-up permission check (issue 20): may medic manage the contract's units?
 *
 * Real parts: the manager (`systemd --user`) registered on a real bus daemon; a fake polkit
 * authority owning org.freedesktop.PolicyKit1 on that bus (test/helpers/fake-polkit.ts); and, for
 * a refusal, the bus daemon itself denying `Unit.Ref` on one unit's object (a policy file dropped
 * into MEDIC_TEST_BUS_POLICY_DIR and ReloadConfig) — the error a non-root medic gets from systemd
 * when polkit says no. The user manager itself never asks polkit.
 */
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/clock/clock.js';
import { SystemdConnection, unitObjectPath } from '../../src/systemd/connection.js';
import {
  MANAGE_UNITS,
  type PolkitAnswer,
  permissionVerdict,
  type UnitProof,
} from '../../src/systemd/permission.js';
import { askPolkit, checkPermission } from '../../src/systemd/polkit-check.js';
import { type FakePolkit, startFakePolkit } from '../helpers/fake-polkit.js';
import {
  busDaemonAddress,
  describeSystemd,
  installUnit,
  privateSocket,
  removeUnit,
  systemctl,
  uniqueUnit,
  waitFor,
} from '../helpers/systemd.js';
import { medicChild, serveInProcess, tempDir, writeContract } from '../watchdog/helpers.js';

const run = promisify(execFile);

const answers = fc.constantFrom<PolkitAnswer>(
  { kind: 'authorized' },
  { kind: 'challenge' },
  { kind: 'not-authorized' },
  { kind: 'absent' },
  { kind: 'failed', message: 'timed out' },
);
const unitNames = fc.uniqueArray(fc.stringMatching(/^[a-z]{1,8}\.service$/), { maxLength: 8 });
const proofs = unitNames.chain((units) =>
  fc.array(fc.boolean(), { minLength: units.length, maxLength: units.length }).map(
    (refused): UnitProof => ({
      permitted: units.filter((_, i) => !refused[i]),
      refused: units.filter((_, i) => refused[i]).map((unit) => ({ unit, error: 'AccessDenied' })),
      unknown: [],
    }),
  ),
);
const base = fc.record({
  scope: fc.constantFrom<'user' | 'system'>('user', 'system'),
  uid: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 65_535 })),
  who: fc.constant('medic (uid 998)'),
});

describe('the permission verdict', () => {
  it("a direct peer (the manager's private socket) needs no permission, whatever else is known", () => {
    fc.assert(
      fc.property(
        base,
        fc.option(answers, { nil: undefined }),
        fc.option(proofs, { nil: undefined }),
        (b, polkit, proof) => {
          const v = permissionVerdict({ ...b, viaDaemon: false, polkit, proof });
          expect(v).toMatchObject({ ok: true, code: 'PERMISSION_NOT_NEEDED', action: MANAGE_UNITS });
        },
      ),
    );
  });

  it("through a bus daemon systemd's answer per unit decides; polkit's only explains", () => {
    fc.assert(
      fc.property(base, answers, proofs, (b, polkit, proof) => {
        const v = permissionVerdict({ ...b, viaDaemon: true, polkit, proof });
        const refused = proof.refused.map((r) => r.unit);
        expect(v.ok).toBe(refused.length === 0);
        expect(v.code).toBe(refused.length === 0 ? 'PERMISSION_GRANTED' : 'PERMISSION_DENIED');
        expect(v.refused).toEqual(refused);
        expect(v.polkit).toBe(polkit.kind);
        // One message: who, and for a refusal the first units refused and what to do.
        expect(v.message).toContain(b.who);
        if (!v.ok) {
          for (const u of refused.slice(0, 5)) expect(v.message).toContain(u);
          expect(v.message).toContain('medic contract polkit');
          if (polkit.kind === 'absent' && b.scope === 'system' && b.uid !== 0)
            expect(v.message).toContain('polkit is not running');
        }
      }),
    );
  });

  it('a check that could not finish is not ok (PERMISSION_UNKNOWN), never a silent yes', () => {
    fc.assert(
      fc.property(base, answers, (b, polkit) => {
        const v = permissionVerdict({
          ...b,
          viaDaemon: true,
          polkit,
          failure: 'Ref timed out after 2000 ms',
        });
        expect(v).toMatchObject({ ok: false, code: 'PERMISSION_UNKNOWN' });
        expect(v.message).toContain('Ref timed out');
      }),
    );
  });
});

/** A deny for `Unit.Ref` on one unit's object, applied by the bus daemon until removed. */
async function denyRef(unit: string): Promise<() => Promise<void>> {
  const dir = process.env.MEDIC_TEST_BUS_POLICY_DIR;
  if (!dir || !busDaemonAddress)
    throw new Error('MEDIC_TEST_BUS_POLICY_DIR not set (scripts/with-systemd.sh)');
  const file = join(dir, `deny-ref-${unit}.conf`);
  writeFileSync(
    file,
    `<busconfig><policy context="default"><deny send_destination="org.freedesktop.systemd1" send_path="${unitObjectPath(unit)}" send_interface="org.freedesktop.systemd1.Unit" send_member="Ref"/></policy></busconfig>\n`,
  );
  const reload = () =>
    run('busctl', [
      `--address=${busDaemonAddress}`,
      'call',
      'org.freedesktop.DBus',
      '/org/freedesktop/DBus',
      'org.freedesktop.DBus',
      'ReloadConfig',
    ]);
  await reload();
  return async () => {
    rmSync(file, { force: true });
    await reload();
  };
}

describeSystemd('the permission check over the connection medic manages units with', () => {
  const units = [uniqueUnit('perm-a'), uniqueUnit('perm-b')];
  let fake: FakePolkit | null = null;
  let conn: SystemdConnection | null = null;

  beforeAll(async () => {
    for (const u of units) await installUnit(u, '[Service]\nExecStart=/bin/sleep infinity\n');
  });
  afterEach(async () => {
    conn?.close();
    conn = null;
    await fake?.stop();
    fake = null;
  });
  afterAll(async () => {
    for (const u of units) await removeUnit(u);
  });

  const viaDaemon = async (clock?: SimulatedClock) => {
    if (!busDaemonAddress) throw new Error('no bus daemon (MEDIC_TEST_BUS_ADDRESS)');
    conn = await SystemdConnection.open({ address: busDaemonAddress }, 2000, clock);
    expect(conn.viaDaemon).toBe(true);
    return conn;
  };

  it('asks polkit about manage-units with its own bus name as the subject; polkit yes → granted', async () => {
    fake = await startFakePolkit(busDaemonAddress as string, 'yes');
    const c = await viaDaemon();
    const v = await checkPermission(c, { scope: 'system', units, uid: 998, who: 'medic (uid 998)' });
    expect(v).toMatchObject({ ok: true, code: 'PERMISSION_GRANTED', polkit: 'authorized', refused: [] });
    expect(v.message).toContain(`polkit grants ${MANAGE_UNITS}`);
    expect(fake.questions).toEqual([
      {
        subjectKind: 'system-bus-name',
        subject: { name: c.uniqueName },
        action: MANAGE_UNITS,
        details: {},
        flags: 0,
      },
    ]);
  });

  it('polkit no for the bare action: systemd still lets medic manage each unit (a unit-limited rule) → granted', async () => {
    fake = await startFakePolkit(busDaemonAddress as string, 'no');
    const v = await checkPermission(await viaDaemon(), { scope: 'system', units, uid: 998, who: 'medic' });
    expect(v).toMatchObject({ ok: true, code: 'PERMISSION_GRANTED', polkit: 'not-authorized' });
    expect(v.message).toContain('limited to the units');
  });

  it('polkit not on the bus is no finding by itself (the user manager never asks it)', async () => {
    const v = await checkPermission(await viaDaemon(), { scope: 'user', units });
    expect(v).toMatchObject({ ok: true, code: 'PERMISSION_GRANTED', polkit: 'absent' });
    expect(v.message).toContain('the user manager lets its own user manage units');
  });

  it('systemd (here: the bus) refusing one unit → denied, naming it, with polkit absent as the cause', async () => {
    const undo = await denyRef(units[1] as string);
    try {
      const v = await checkPermission(await viaDaemon(), {
        scope: 'system',
        units,
        uid: 998,
        who: 'medic (uid 998)',
      });
      expect(v).toMatchObject({
        ok: false,
        code: 'PERMISSION_DENIED',
        polkit: 'absent',
        refused: [units[1]],
      });
      expect(v.message).toContain(`medic (uid 998) may not manage 1 contract unit(s) (${units[1]})`);
      expect(v.message).toContain('AccessDenied');
      expect(v.message).toContain('polkit is not running on this bus');
    } finally {
      await undo();
    }
  });

  it("the manager's private socket: no polkit question, no proof", async () => {
    fake = await startFakePolkit(busDaemonAddress as string, 'no');
    conn = await SystemdConnection.open({ address: `unix:path=${privateSocket()}` });
    const v = await checkPermission(conn, { scope: 'user', units });
    expect(v).toMatchObject({ ok: true, code: 'PERMISSION_NOT_NEEDED', polkit: 'not asked' });
    expect(fake.questions).toEqual([]);
  });

  it("a polkit that never answers times out on the connection's Clock (no real wait)", async () => {
    fake = await startFakePolkit(busDaemonAddress as string, 'hang');
    const clock = new SimulatedClock();
    const c = await viaDaemon(clock);
    let answer: PolkitAnswer | null = null;
    const asked = askPolkit(c).then((a) => {
      answer = a;
    });
    await waitFor(() => fake?.questions.length === 1, 2000, 10);
    expect(answer).toBeNull();
    clock.advance(1999);
    await new Promise((r) => setTimeout(r, 20));
    expect(answer).toBeNull();
    clock.advance(1);
    await asked;
    expect(answer).toEqual({ kind: 'failed', message: 'CheckAuthorization timed out after 2000 ms' });
  });

  it('medic serve: not ready while systemd refuses a unit, ready once the refusal is lifted (no restart)', async () => {
    const dir = tempDir('permission-serve');
    const contract = writeContract({
      dir,
      services: units.map((unit, i) => ({ name: `svc${i}`, unit, command: ['/bin/sleep', 'infinity'] })),
    });
    await systemctl('start', ...units);
    const undo = await denyRef(units[0] as string);
    let lifted = false;
    const server = await serveInProcess(contract, dir, {
      MEDIC_DBUS_ADDRESS: busDaemonAddress as string,
      MEDIC_VERIFY_INTERVAL_MS: '300',
    });
    try {
      const res = await fetch(`${server.url}/readyz`);
      const body = (await res.json()) as {
        ready: boolean;
        reasons: string[];
        permission: Record<string, unknown>;
      };
      expect(res.status).toBe(503);
      expect(body.permission).toMatchObject({ ok: false, code: 'PERMISSION_DENIED', refused: [units[0]] });
      expect(body.reasons.filter((r) => r.includes('may not manage'))).toHaveLength(1);
      // Said once (an error line), not once per re-check.
      await new Promise((r) => setTimeout(r, 1000));
      const said = server.logs.filter((l) => String(l.msg).startsWith('permission: '));
      expect(said.map((l) => l.code)).toEqual(['PERMISSION_DENIED']);
      await undo();
      lifted = true;
      await waitFor(async () => (await fetch(`${server.url}/readyz`)).status === 200, 5000, 100);
      const ready = (await (await fetch(`${server.url}/readyz`)).json()) as {
        permission: Record<string, unknown>;
      };
      expect(ready.permission).toMatchObject({ ok: true, code: 'PERMISSION_GRANTED' });
    } finally {
      if (!lifted) await undo();
      await server.close();
      await systemctl('stop', ...units).catch(() => {});
    }
  });

  it('medic contract permissions: exit 0 when it may, exit 2 with one message when it may not', async () => {
    const dir = tempDir('permission-cli');
    const contract = writeContract({
      dir,
      services: units.map((unit, i) => ({ name: `svc${i}`, unit, command: ['/bin/sleep', 'infinity'] })),
    });
    const cli = (env: Record<string, string>) =>
      new Promise<{ code: number | null; output: string }>((resolve) => {
        const child = medicChild(['contract', 'permissions', '--contract', contract], env);
        child.on('exit', (code) => resolve({ code, output: child.output() }));
      });
    const bus = { MEDIC_DBUS_ADDRESS: busDaemonAddress as string };
    const ok = await cli(bus);
    expect(ok.code).toBe(0);
    expect(ok.output).toMatch(/^ok \[PERMISSION_GRANTED\]: .* may manage the contract's 2 unit\(s\)/);
    const viaSocket = await cli({});
    expect(viaSocket).toMatchObject({ code: 0 });
    expect(viaSocket.output).toContain('PERMISSION_NOT_NEEDED');
    const undo = await denyRef(units[1] as string);
    try {
      const refused = await cli(bus);
      expect(refused.code).toBe(2);
      expect(refused.output.trim().split('\n')).toHaveLength(1);
      expect(refused.output).toContain(`refused [PERMISSION_DENIED]:`);
      expect(refused.output).toContain(units[1]);
      expect(refused.output).not.toMatch(/\n\s+at /);
    } finally {
      await undo();
    }
  });
});
