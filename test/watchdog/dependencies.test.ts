/**
 * Dependencies against real systemd (issue 18): `api` depends on `db`. api holds one connection
 * to db, opened at start, and is healthy only while it is alive — like a connection pool that
 * never reconnects, it stays broken after db comes back until it is restarted (systemd #18856).
 * db crashes (SIGKILL) and keeps crashing on start while a flag file exists: medic keeps
 * restarting db by db's policy, api fails its probes, and medic defers api's restarts
 * (`skip_dependency_down`, written once) instead of restarting it into a dead db. Once db is
 * healthy again, api is restarted exactly once and is healthy.
 */

import { rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
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
  python3,
  serveInProcess,
  sleep,
  tempDir,
  writeContract,
} from './helpers.js';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** db: an HTTP server; /health answers 200; other connections are simply held open. */
const dbServer = (port: number) =>
  [
    'import http.server',
    'class H(http.server.BaseHTTPRequestHandler):',
    '    def do_GET(self):',
    '        self.send_response(200); self.end_headers()',
    '    def log_message(self, *a): pass',
    `http.server.ThreadingHTTPServer(("127.0.0.1", ${port}), H).serve_forever()`,
  ].join('\n');

/** api: one connection to db opened at start; /health is 200 only while it is still open. */
const apiServer = (port: number, dbPort: number) =>
  [
    'import http.server, socket',
    'try:',
    `    conn = socket.create_connection(("127.0.0.1", ${dbPort}), timeout=1)`,
    '    conn.setblocking(False)',
    'except OSError:',
    '    conn = None',
    'def alive():',
    '    if conn is None: return False',
    '    try: return conn.recv(1, socket.MSG_PEEK) != b""',
    '    except BlockingIOError: return True',
    '    except OSError: return False',
    'class H(http.server.BaseHTTPRequestHandler):',
    '    def do_GET(self):',
    '        self.send_response(200 if alive() else 503); self.end_headers()',
    '    def log_message(self, *a): pass',
    `http.server.ThreadingHTTPServer(("127.0.0.1", ${port}), H).serve_forever()`,
  ].join('\n');

const POLICY = { ...FAST_POLICY, maxRestarts: 20, windowSec: 600 };

describeSystemd('dependsOn against real systemd units', () => {
  const transport = transports()[0]!;
  const dir = tempDir('deps');
  const u = { db: uniqueUnit('db'), api: uniqueUnit('api') };
  const flag = join(dir, 'db-broken');
  const starts = (name: string) => join(dir, `${name}.starts`);
  let server: RunningServe & { logs: Record<string, unknown>[] };
  let dbPort = 0;
  let apiPort = 0;

  beforeAll(async () => {
    [dbPort, apiPort] = [await freePort(), await freePort()];
    writeFileSync(join(dir, 'db.py'), dbServer(dbPort));
    writeFileSync(join(dir, 'api.py'), apiServer(apiPort, dbPort));
    const py = python3();
    await installUnit(
      u.db,
      `[Unit]\nStartLimitIntervalSec=0\n[Service]\nExecStart=/bin/sh -c 'echo x >> ${starts('db')}; if [ -e ${flag} ]; then sleep 0.3; exit 1; fi; exec ${py} ${join(dir, 'db.py')}'\n`,
    );
    await installUnit(
      u.api,
      `[Service]\nExecStart=/bin/sh -c 'echo x >> ${starts('api')}; exec ${py} ${join(dir, 'api.py')}'\n`,
    );
    const probe = (port: number) => ({
      url: `http://127.0.0.1:${port}/health`,
      intervalSec: 0.3,
      timeoutMs: 300,
    });
    const contract = writeContract({
      dir,
      policies: { fast: POLICY },
      services: [
        { name: 'db', unit: u.db, command: ['python', '-c', 'pass'], policy: 'fast', health: probe(dbPort) },
        {
          name: 'api',
          unit: u.api,
          command: ['python', '-c', 'pass'],
          policy: 'fast',
          health: probe(apiPort),
          dependsOn: ['db'],
        },
      ],
    });
    await systemctl('start', u.db);
    await waitFor(
      async () => (await fetch(`http://127.0.0.1:${dbPort}/health`).catch(() => null))?.ok,
      10_000,
      50,
    );
    await systemctl('start', u.api);
    await waitFor(
      async () => (await fetch(`http://127.0.0.1:${apiPort}/health`).catch(() => null))?.ok,
      10_000,
      50,
    );
    server = await serveInProcess(contract, dir, { MEDIC_DBUS_ADDRESS: transport.address });
  });
  afterAll(async () => {
    await server?.close();
    await Promise.all(Object.values(u).map((unit) => removeUnit(unit)));
  });

  it('defers api while db is down, then restarts it exactly once', async () => {
    const events = (name: string) => eventsOf(server, name);
    const restartsOf = (name: string) => events(name).filter((e) => e.kind === 'restart_decided');
    await waitFor(
      () => {
        const s = server.engine.view('api')?.state;
        return s?.tag === 'healthy' && s.healthySince !== null;
      },
      10_000,
      50,
    );
    expect(countLines(starts('api'))).toBe(1);

    // db crashes and keeps crashing on start.
    writeFileSync(flag, '');
    await systemctl('kill', '--signal=KILL', u.db);
    await waitFor(() => server.engine.view('api')?.state.tag === 'deferred', 15_000, 50);
    expect(server.engine.view('api')?.recommended).toMatchObject({
      code: 'fix_dependency',
      command: 'medic status db',
    });
    // A few seconds of outage: medic restarts db by db's policy, never api.
    await waitFor(() => restartsOf('db').length >= 3, 20_000, 50);
    await sleep(1500);
    expect(restartsOf('api')).toEqual([]);
    expect(countLines(starts('api'))).toBe(1);
    const deferrals = events('api').filter((e) => e.decision === 'skip_dependency_down');
    expect(deferrals).toHaveLength(1); // speak once: the repeats are counted, not written
    expect(deferrals[0]!.reason).toMatch(/dependency db is (restarting|cooldown|circuit_open)/);
    expect(server.engine.view('api')?.churn.blockedByReason.skip_dependency_down).toBeGreaterThan(1);
    expect(server.engine.view('api')?.churn.restartsInWindow).toBe(0);

    // db is fixed: its next restart comes up, and api is restarted once, after it.
    rmSync(flag);
    await waitFor(() => server.engine.view('db')?.state.tag === 'healthy', 20_000, 50);
    await waitFor(() => server.engine.view('api')?.state.tag === 'healthy', 15_000, 50);
    await sleep(1500);
    const apiRestarts = restartsOf('api');
    expect(apiRestarts).toHaveLength(1);
    expect(apiRestarts[0]!.reason).toMatch(/Dependency db is healthy again/);
    const dbHealthyAt = events('db').findLast((e) => e.decision === 'recovered')!.at;
    expect(apiRestarts[0]!.at).toBeGreaterThanOrEqual(dbHealthyAt);
    expect(countLines(starts('api'))).toBe(2);
    expect(server.engine.view('api')?.state.tag).toBe('healthy');
  });
});
