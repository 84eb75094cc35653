/**
 * Real systemd units, one `medic serve` (in-process, D-Bus detection) watching them all at once:
 * systemd's own Restart= churn and the hard stop, fatal exit 78, a clean exit, hung services
 * (HTTP 500 and timeouts), a held service and a forced restart.
 */
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServe } from '../../src/serve/serve.js';
import {
  describeSystemd,
  installUnit,
  removeUnit,
  showUnit,
  systemctl,
  transports,
  uniqueUnit,
  waitFor,
} from '../helpers/systemd.js';
import {
  countLines,
  eventsOf,
  FAST_POLICY,
  python3,
  serveInProcess,
  sleep,
  tempDir,
  writeContract,
} from './helpers.js';

/** True when something accepts TCP connections on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** A python HTTP server whose /health answers 500 ('500') or never ('hang'). */
const brokenServer = (port: number, mode: '500' | 'hang') =>
  [
    'import http.server, time',
    'class H(http.server.BaseHTTPRequestHandler):',
    '    def do_GET(self):',
    mode === 'hang' ? '        time.sleep(30)' : '        self.send_response(500); self.end_headers()',
    '    def log_message(self, *a): pass',
    `http.server.ThreadingHTTPServer(("127.0.0.1", ${port}), H).serve_forever()`,
  ].join('\n');

describeSystemd('the watchdog against real systemd units', () => {
  for (const transport of transports())
    describe(`via the ${transport.name}`, () => {
      const dir = tempDir('scenarios');
      const u = {
        onfail: uniqueUnit('onfail'),
        fatal: uniqueUnit('fatal'),
        clean: uniqueUnit('clean'),
        hung500: uniqueUnit('hung500'),
        hungTimeout: uniqueUnit('hungto'),
        held: uniqueUnit('held'),
        forced: uniqueUnit('forced'),
      };
      const starts = (name: keyof typeof u) => join(dir, `${name}.starts`);
      const shUnit = (name: keyof typeof u, body: string, extra = '') =>
        `[Service]\nExecStart=/bin/sh -c 'echo x >> ${starts(name)}; ${body}'\n${extra}`;
      let server: RunningServe & { logs: Record<string, unknown>[] };
      const events = (name: string) => eventsOf(server, name);
      const decisions = (name: string) =>
        events(name)
          .map((e) => e.decision)
          .filter(Boolean);

      beforeAll(async () => {
        const [p500, pTimeout] = [await freePort(), await freePort()];
        const script500 = join(dir, 'h500.py');
        const scriptHang = join(dir, 'hang.py');
        await import('node:fs/promises').then(async (fs) => {
          await fs.writeFile(script500, brokenServer(p500, '500'));
          await fs.writeFile(scriptHang, brokenServer(pTimeout, 'hang'));
        });
        await installUnit(
          u.onfail,
          shUnit(
            'onfail',
            'sleep 0.5; exit 3',
            'Restart=on-failure\nRestartSec=300ms\nStartLimitIntervalSec=0\n',
          ),
        );
        await installUnit(u.fatal, shUnit('fatal', 'sleep 0.3; exit 78'));
        await installUnit(u.clean, shUnit('clean', 'sleep 0.3; exit 0'));
        await installUnit(u.hung500, shUnit('hung500', `exec ${python3()} ${script500}`));
        await installUnit(u.hungTimeout, shUnit('hungTimeout', `exec ${python3()} ${scriptHang}`));
        await installUnit(u.held, shUnit('held', 'sleep 0.3; exit 3'));
        await installUnit(u.forced, shUnit('forced', 'exec sleep 300'));
        const probe = (port: number) => ({
          url: `http://127.0.0.1:${port}/health`,
          intervalSec: 0.5,
          timeoutMs: 300,
        });
        const svc = (name: keyof typeof u, more: Record<string, unknown> = {}) => ({
          name,
          unit: u[name],
          command: ['python', '-c', 'pass'],
          policy: FAST_POLICY,
          ...more,
        });
        const contract = writeContract({
          dir,
          services: [
            svc('onfail'),
            svc('fatal'),
            svc('clean'),
            svc('hung500', { health: probe(p500) }),
            svc('hungTimeout', { health: probe(pTimeout) }),
            svc('held'),
            svc('forced'),
          ],
        });
        // The broken HTTP services listen before medic starts probing them, so their first failed
        // probes are the 500 / the timeout under test, not a connection refused during start-up.
        await systemctl('start', u.hung500, u.hungTimeout);
        await Promise.all([p500, pTimeout].map((port) => waitFor(() => accepts(port), 10_000, 50)));
        server = await serveInProcess(contract, dir, { MEDIC_DBUS_ADDRESS: transport.address });
        expect(server.readiness()).toMatchObject({ ready: true, detection: 'dbus' });
        await server.engine.submit('held', {
          type: 'hold',
          ttlSec: 600,
          actor: 'alice',
          reason: 'maintenance window',
        });
        for (const unit of Object.values(u)) await systemctl('start', unit).catch(() => {});
      });
      afterAll(async () => {
        await server?.close();
        await Promise.all(Object.values(u).map((unit) => removeUnit(unit)));
      });

      it("counts systemd's own restarts as churn and hard-stops the unit when the circuit opens", async () => {
        await waitFor(() => server.engine.view('onfail')?.state.tag === 'circuit_open', 30_000, 50);
        await server.engine.idle();
        const all = events('onfail');
        const external = all.filter(
          (e) => e.decision === 'external_restart' || e.input?.type === 'external_restart',
        );
        expect(external.length).toBeGreaterThanOrEqual(3);
        expect(all.filter((e) => e.kind === 'restart_decided')).toHaveLength(0); // medic never added a restart
        const opened = all.find((e) => e.kind === 'circuit_opened');
        expect(opened?.reason).toMatch(/systemd restarted the unit/);
        await waitFor(
          () => all.concat(events('onfail')).some((e) => e.kind === 'hard_stop' && e.taken),
          5000,
        );
        await sleep(300);
        const after = countLines(starts('onfail'));
        await sleep(1500);
        expect(countLines(starts('onfail'))).toBe(after); // systemd's loop ended
        expect((await showUnit(u.onfail, ['ActiveState'])).ActiveState).toBe('inactive');
        expect(after).toBeLessThanOrEqual(1 + FAST_POLICY.maxRestarts + 1);
      });

      it('opens the circuit at once on exit 78 without restarting', async () => {
        await waitFor(() => server.engine.view('fatal')?.state.tag === 'circuit_open', 10_000, 50);
        expect(server.engine.view('fatal')?.state).toMatchObject({ cause: 'fatal_exit' });
        expect(decisions('fatal')).not.toContain('restart');
        expect(countLines(starts('fatal'))).toBe(1);
      });

      it('does not count a clean exit as churn', async () => {
        await waitFor(() => decisions('clean').includes('clean_exit'), 10_000, 50);
        await sleep(1000);
        expect(decisions('clean')).not.toContain('restart');
        expect(server.engine.view('clean')?.churn.totalRestarts).toBe(0);
        expect(countLines(starts('clean'))).toBe(1);
      });

      it('restarts a hung service (HTTP 500) after failureThreshold failed probes', async () => {
        await waitFor(() => events('hung500').some((e) => e.kind === 'restart_decided'), 15_000, 50);
        const all = events('hung500');
        const i = all.findIndex((e) => e.kind === 'restart_decided');
        const failedBefore = all.slice(0, i).filter((e) => e.input?.type === 'probe_failed');
        expect(all[i]?.input?.type).toBe('probe_failed');
        expect(failedBefore.length + 1).toBeGreaterThanOrEqual(FAST_POLICY.failureThreshold);
        expect(all[i]?.data?.detail).toMatch(/HTTP 500/);
        await waitFor(() => countLines(starts('hung500')) >= 2, 5000, 50);
      });

      it('restarts a service whose health endpoint times out', async () => {
        await waitFor(() => events('hungTimeout').some((e) => e.kind === 'restart_decided'), 15_000, 50);
        const failed = events('hungTimeout').filter((e) => e.input?.type === 'probe_failed');
        // The very first probe may run before the server listens (ECONNREFUSED); then: timeouts.
        expect(failed.map((e) => e.data?.detail)).toContain('timeout after 300 ms');
        await waitFor(() => countLines(starts('hungTimeout')) >= 2, 5000, 50);
      });

      it('does not restart a held service, and audits the refusal', async () => {
        await waitFor(() => decisions('held').includes('skip_held'), 10_000, 50);
        await sleep(1000);
        expect(decisions('held')).not.toContain('restart');
        expect(countLines(starts('held'))).toBe(1);
        const refusal = events('held').find((e) => e.decision === 'skip_held');
        expect(refusal?.kind).toBe('restart_blocked');
      });

      it('carries out a forced restart exactly once and audits who asked', async () => {
        await waitFor(() => countLines(starts('forced')) === 1, 5000, 50);
        const c = await server.engine.submit('forced', {
          type: 'force_restart',
          actor: 'bob',
          reason: 'deploy hotfix',
        });
        expect(c.decision.decision).toBe('restart_forced');
        await server.engine.idle();
        await waitFor(() => countLines(starts('forced')) === 2, 5000, 50);
        await sleep(800);
        expect(countLines(starts('forced'))).toBe(2);
        const forced = events('forced').filter((e) => e.decision === 'restart_forced');
        expect(forced).toHaveLength(1);
        expect(forced[0]).toMatchObject({ actor: 'bob', reason: 'deploy hotfix', kind: 'restart_decided' });
        expect(
          events('forced').some((e) => e.kind === 'restart_executed' && e.decision === 'restart_succeeded'),
        ).toBe(true);
      });
    });
});
