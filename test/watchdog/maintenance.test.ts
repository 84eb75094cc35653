/**
 * Maintenance windows against real systemd (issue 18, part 2): an operator schedules a 6 s
 * `hold` window over medic's real HTTP GraphQL API; the unit is SIGKILLed inside the window.
 * medic writes one `skip_maintenance` and does not restart it (systemd's Restart= is off, so
 * the unit stays dead); when the window ends medic re-evaluates the service at once and
 * restarts it exactly once, through its normal gate.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateToken, hashToken } from '../../src/api/http/auth.js';
import type { RunningServe } from '../../src/serve/serve.js';
import {
  describeSystemd,
  installUnit,
  removeUnit,
  systemctl,
  transports,
  uniqueUnit,
  waitFor,
} from '../helpers/systemd.js';
import {
  countLines,
  eventsOf,
  FAST_POLICY,
  serveInProcess,
  sleep,
  tempDir,
  writeContract,
} from './helpers.js';

const POLICY = { ...FAST_POLICY, failureThreshold: 1, maxRestarts: 5 };

describeSystemd('a hold maintenance window against a real systemd unit', () => {
  const transport = transports()[0]!;
  const dir = tempDir('maintenance');
  const unit = uniqueUnit('maint');
  const starts = join(dir, 'app.starts');
  let server: RunningServe & { logs: Record<string, unknown>[] };

  beforeAll(async () => {
    await installUnit(unit, `[Service]\nExecStart=/bin/sh -c 'echo x >> ${starts}; exec /bin/sleep 300'\n`);
    const contract = writeContract({
      dir,
      services: [{ name: 'app', unit, command: ['python', '-c', 'pass'], policy: POLICY }],
    });
    await systemctl('start', unit);
    server = await serveInProcess(contract, dir, { MEDIC_DBUS_ADDRESS: transport.address });
  });
  afterAll(async () => {
    await server?.close();
    await removeUnit(unit);
  });

  it('holds the restart of a unit that crashed in the window, then restarts it exactly once when the window ends', async () => {
    const token = generateToken();
    server.store.createToken('ops', 'operator', hashToken(token), Date.now());
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query:
          'mutation { scheduleMaintenance(services: ["app"], durationSec: 6, reason: "kernel patch") { __typename ... on MaintenanceWindow { id until } } }',
      }),
    });
    const window = (await res.json()).data.scheduleMaintenance;
    expect(window).toMatchObject({ __typename: 'MaintenanceWindow', id: 'adhoc:1' });
    const endsAt = Date.parse(window.until);
    expect(server.engine.view('app')?.maintenance).toMatchObject({ mode: 'hold', endsAt });
    expect(countLines(starts)).toBe(1);

    await systemctl('kill', '--signal=KILL', unit);
    await waitFor(() => eventsOf(server, 'app').some((e) => e.decision === 'skip_maintenance'), 10_000, 50);
    expect(server.engine.view('app')?.recommended.code).toBe('wait_maintenance');
    await sleep(1500);
    const restarts = () => eventsOf(server, 'app').filter((e) => e.decision === 'restart');
    expect(restarts()).toEqual([]);
    expect(countLines(starts)).toBe(1);

    // The window ends: the service is handed back to its policy at once — one restart.
    await waitFor(() => countLines(starts) === 2, Math.max(0, endsAt - Date.now()) + 10_000, 50);
    await waitFor(() => server.engine.view('app')?.state.tag === 'healthy', 10_000, 50);
    await sleep(1500);
    expect(countLines(starts)).toBe(2);
    expect(restarts()).toHaveLength(1);
    expect(restarts()[0]!.at).toBeGreaterThanOrEqual(endsAt);
    expect(restarts()[0]!.reason).toMatch(/Maintenance window over/);
    expect(eventsOf(server, 'app').filter((e) => e.decision === 'skip_maintenance')).toHaveLength(1);
    expect(server.engine.view('app')?.maintenance).toBeNull();
  });
});
