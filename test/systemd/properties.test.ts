import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { systemdExecLine } from '../../src/contract/quote.js';
import { routeFor } from '../../src/systemd/connect.js';
import { SystemdConnection } from '../../src/systemd/connection.js';
import { environmentRecord, readUnitProperties } from '../../src/systemd/properties.js';
import { readRunIdentity } from '../../src/systemd/run-identity.js';
import {
  describeSystemd,
  installUnit,
  removeUnit,
  showUnit,
  systemctl,
  uniqueUnit,
  userUnitDir,
  waitFor,
} from '../helpers/systemd.js';

describeSystemd('bulk unit properties over D-Bus (real systemd user manager)', () => {
  let conn: SystemdConnection;
  const units: string[] = [];
  beforeAll(async () => {
    conn = await SystemdConnection.open(
      { address: routeFor({ scope: 'user', runtimeDir: process.env.XDG_RUNTIME_DIR }).address! },
      10_000,
    );
  });
  afterAll(async () => {
    conn.close();
    for (const u of units) await removeUnit(u);
  });
  const install = async (prefix: string, body: string) => {
    const unit = uniqueUnit(prefix);
    units.push(unit);
    await installUnit(unit, body);
    return unit;
  };

  it('returns ExecStart as argv arrays: spaces, quotes, $VAR kept for exec time, specifiers resolved, prefixes', async () => {
    const unit = await install(
      'exec',
      [
        '[Service]',
        'Type=oneshot',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: ${VAR} is systemd syntax here
        'ExecStart=-/bin/echo "a b" $$HOME ${X} $Y 100%% "x\\"y" \\; %h ""',
        'ExecStart=@/bin/sh sh -c true',
        '',
      ].join('\n'),
    );
    const props = (await readUnitProperties(conn, [unit])).get(unit)!;
    expect(props.execStart).toEqual([
      {
        path: '/bin/echo',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: ${VAR} is systemd syntax here
        argv: ['/bin/echo', 'a b', '$$HOME', '${X}', '$Y', '100%', 'x"y', ';', process.env.HOME, ''],
        ignoreErrors: true,
      },
      { path: '/bin/sh', argv: ['sh', '-c', 'true'], ignoreErrors: false },
    ]);
  });

  it('returns environment, environment files, working directory, user, paths, restart and start limits', async () => {
    const unit = await install(
      'env',
      [
        '[Unit]',
        'StartLimitBurst=7',
        'StartLimitIntervalSec=42',
        '[Service]',
        'Environment="GREETING=hello world" MODE=fast',
        'Environment=MODE=slow',
        'EnvironmentFile=-/nonexistent/optional.env',
        'EnvironmentFile=/etc/medic-required.env',
        'WorkingDirectory=-/tmp',
        'User=root',
        'Restart=on-failure',
        'ExecStart=/bin/sleep infinity',
        '',
      ].join('\n'),
    );
    await mkdir(join(userUnitDir(), `${unit}.d`), { recursive: true });
    await writeFile(join(userUnitDir(), `${unit}.d`, 'extra.conf'), '[Service]\nEnvironment=EXTRA=1\n');
    await systemctl('daemon-reload');
    const p = (await readUnitProperties(conn, [unit])).get(unit)!;
    expect(p).toMatchObject({
      unit,
      id: unit,
      loadState: 'loaded',
      activeState: 'inactive',
      fragmentPath: join(userUnitDir(), unit),
      dropInPaths: [join(userUnitDir(), `${unit}.d`, 'extra.conf')],
      environmentFiles: [
        { path: '/nonexistent/optional.env', optional: true },
        { path: '/etc/medic-required.env', optional: false },
      ],
      workingDirectory: '/tmp',
      workingDirectoryOptional: true,
      user: 'root',
      restart: 'on-failure',
      startLimitBurst: 7,
      startLimitIntervalUSec: 42_000_000,
    });
    // systemd merges the assignments itself; a later one wins.
    expect(environmentRecord(p.environment)).toEqual({ GREETING: 'hello world', MODE: 'slow', EXTRA: '1' });
  });

  it('follows state: active/running with an invocation, then failed with the exit code and a restart count', async () => {
    const unit = await install(
      'state',
      '[Service]\nExecStart=/bin/sh -c "sleep 0.3; exit 3"\nRestart=on-failure\nRestartSec=50ms\n',
    );
    await systemctl('start', unit);
    const running = (await readUnitProperties(conn, [unit])).get(unit)!;
    expect(running).toMatchObject({ activeState: 'active', subState: 'running' });
    expect(running.invocationId).toMatch(/^[0-9a-f]{32}$/);
    expect(running.execMainStartUs).toBeGreaterThan(0);
    const restarted = await waitFor(async () => {
      const p = (await readUnitProperties(conn, [unit])).get(unit)!;
      return p.nRestarts >= 1 && p.execMainCode > 0 ? p : null;
    });
    expect(restarted).toMatchObject({ result: 'exit-code', execMainCode: 1, execMainStatus: 3 });
    expect(restarted.execMainExitUs).toBeGreaterThan(restarted.execMainStartUs - 1_000_000);
    await systemctl('stop', unit);
    // Agrees with systemctl's view of the same unit.
    const show = await showUnit(unit, ['ActiveState', 'SubState', 'Result', 'NRestarts']);
    const p = (await readUnitProperties(conn, [unit])).get(unit)!;
    expect([p.activeState, p.subState, p.result, String(p.nRestarts)]).toEqual([
      show.ActiveState,
      show.SubState,
      show.Result,
      show.NRestarts,
    ]);
  });

  it('reads the run identity (invocation, restart count, last exit) exactly as the full read does', async () => {
    const unit = await install(
      'identity',
      // Two automatic restarts, then the start limit leaves it failed: nothing moves while we read.
      '[Unit]\nStartLimitIntervalSec=60\nStartLimitBurst=3\n[Service]\nExecStart=/bin/sh -c "exit 3"\nRestart=on-failure\nRestartSec=50ms\n',
    );
    await systemctl('start', unit).catch(() => {});
    await waitFor(async () => {
      const p = (await readUnitProperties(conn, [unit])).get(unit)!;
      return p.activeState === 'failed' && p.nRestarts >= 2 ? true : null;
    });
    const full = (await readUnitProperties(conn, [unit])).get(unit)!;
    const light = await readRunIdentity(conn, full.path);
    expect(light).toEqual({
      invocationId: full.invocationId,
      nRestarts: full.nRestarts,
      execMainExitMono: full.execMainExitMono,
    });
    expect(light.nRestarts).toBeGreaterThanOrEqual(2);
    expect(light.execMainExitMono).toBeGreaterThan(0);
  });

  it('answers a unit systemd does not know with loadState not-found', async () => {
    const unit = uniqueUnit('missing');
    const p = (await readUnitProperties(conn, [unit])).get(unit)!;
    expect(p).toMatchObject({ loadState: 'not-found', execStart: [], fragmentPath: '' });
  });

  it('reads hundreds of units in one call, each its own, keyed and ordered as asked', async () => {
    const names = Array.from({ length: 300 }, (_, i) => `medic-bulk-${i}-${process.pid}.service`);
    await mkdir(userUnitDir(), { recursive: true });
    await Promise.all(
      names.map((n, i) =>
        writeFile(join(userUnitDir(), n), `[Service]\nExecStart=/bin/echo unit ${i}\nEnvironment=N=${i}\n`),
      ),
    );
    await systemctl('daemon-reload');
    const asked = [...names].reverse();
    const got = await readUnitProperties(conn, [...asked, asked[0]!], { concurrency: 8 });
    expect([...got.keys()]).toEqual(asked);
    for (const [i, n] of names.entries()) {
      expect(got.get(n)!.execStart[0]!.argv).toEqual(['/bin/echo', 'unit', String(i)]);
      expect(got.get(n)!.environment).toEqual([`N=${i}`]);
    }
    // Never started: removing the files and one reload is the whole clean-up.
    await Promise.all(names.map((n) => rm(join(userUnitDir(), n))));
    await systemctl('daemon-reload');
  });

  it('refuses an invalid unit name before calling systemd', async () => {
    await expect(readUnitProperties(conn, ['../etc.service'])).rejects.toThrow(/unit name/i);
  });

  it('gives back exactly the argv that contract render writes (any words)', async () => {
    const unit = await install('roundtrip', '[Service]\nExecStart=/bin/true\n');
    const file = join(userUnitDir(), unit);
    const word = fc.string({
      maxLength: 12,
      unit: fc.constantFrom('a', ' ', '"', "'", '\\', '$', '%', ';', '\t', '{', 'é'),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(word, { maxLength: 5 }), async (args) => {
        const argv = ['/bin/echo', ...args];
        await writeFile(file, `[Service]\nExecStart=${systemdExecLine(argv)}\n`);
        await systemctl('daemon-reload');
        const [cmd] = (await readUnitProperties(conn, [unit])).get(unit)!.execStart;
        // `$` is rendered `$$` and systemd keeps it so until exec time.
        expect(cmd!.argv.map((w) => w.replaceAll('$$', '$'))).toEqual(argv);
      }),
      { numRuns: 25 },
    );
  });
});
