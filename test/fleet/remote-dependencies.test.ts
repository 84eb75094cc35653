/**
 * Dependencies across nodes (issue 18, fleet mode), end to end: a real hub on a real PostgreSQL
 * and two real `medic serve` agents (process backend). `api` on node-a declares
 * `dependsOn: [node-b/db]`; node-a names node-b/db in its ship batches and learns its state from
 * the hub's replies. db on node-b down → api's crash on node-a is deferred (skip_dependency_down
 * naming node-b/db), no api restart while db stays down; db back → exactly one api restart.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/config/env.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { createAgentToken } from '../../src/hub/tokens.js';
import { createLogger } from '../../src/log.js';
import { waitFor } from '../helpers/systemd.js';
import { sleep, tempDir } from '../watchdog/helpers.js';
import { type AgentProcess, FLEET_POLICY, startAgent } from './agent-process.js';
import { freshDatabase, skipPg } from './pg.js';

const policy = { ...FLEET_POLICY, windowSec: 600 };

const dbPolicy = { ...policy, startupGraceSec: 3, windowSec: 1200 };

/** db: exits 3 at start and at its next probe while the flag exists; else /health answers 200. */
const dbServer = (port: number, flag: string) =>
  [
    'import http.server, os, sys',
    `F = ${JSON.stringify(flag)}`,
    'if os.path.exists(F): sys.exit(3)',
    'class H(http.server.BaseHTTPRequestHandler):',
    '    def do_GET(self):',
    '        if os.path.exists(F): os._exit(3)',
    '        self.send_response(200); self.end_headers()',
    '    def log_message(self, *a): pass',
    `http.server.HTTPServer(("127.0.0.1", ${port}), H).serve_forever()`,
  ].join('\n');

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** A service that runs until its flag file exists, then exits 3 (at once on every start while it does). */
const untilFlag = (flag: string) =>
  `import os, sys, time; [sys.exit(3) if os.path.exists(${JSON.stringify(flag)}) else time.sleep(0.05) for _ in iter(int, 1)]`;

/** node-a's decisions about `service`, from its SQLite audit log. */
function decisions(db: string, service: string): { id: number; decision: string; reason: string }[] {
  const sqlite = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return sqlite
      .prepare(
        'SELECT id, decision, reason FROM events WHERE service = ? AND decision IS NOT NULL ORDER BY id',
      )
      .all(service) as never;
  } finally {
    sqlite.close();
  }
}

describe.skipIf(skipPg)('a dependency on another node (real hub, real PostgreSQL, two agents)', () => {
  const hubs: RunningHub[] = [];
  const children: AgentProcess['child'][] = [];
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    for (const h of hubs) await h.close().catch(() => {});
  });

  it('db on node-b down → api on node-a deferred, no restart; db back → exactly one api restart', async () => {
    const dbUrl = await freshDatabase();
    const hub = await startHub({
      env: loadEnv({ MEDIC_HUB_DATABASE_URL: dbUrl, MEDIC_PORT: '0' }),
      logger: createLogger('silent'),
    });
    hubs.push(hub);
    const flags = tempDir('fleet-flags');
    mkdirSync(flags, { recursive: true });
    const dbDown = join(flags, 'db-down');
    const apiDown = join(flags, 'api-down');
    const tokenA = await createAgentToken(hub.database.db, 'agent-a', 'node-a', Date.now());
    const tokenB = await createAgentToken(hub.database.db, 'agent-b', 'node-b', Date.now());
    // db is healthy only while its HTTP probe passes (a process that is merely alive for a
    // moment before it sees the flag is not a healthy db).
    const dbPort = await freePort();
    const dbScript = join(flags, 'db.py');
    writeFileSync(dbScript, dbServer(dbPort, dbDown));
    const b = startAgent({
      hubUrl: hub.url,
      token: tokenB,
      node: 'node-b',
      service: {
        name: 'db',
        python: '',
        command: ['python', dbScript],
        health: { url: `http://127.0.0.1:${dbPort}/health`, intervalSec: 0.2, timeoutMs: 500 },
        policy: dbPolicy,
      },
    });
    children.push(b.child);
    const a = startAgent({
      hubUrl: hub.url,
      token: tokenA,
      node: 'node-a',
      service: { name: 'api', python: untilFlag(apiDown), policy, dependsOn: ['node-b/db'] },
    });
    children.push(a.child);
    const fail = (err: Error) => {
      throw new Error(
        `${err.message}\n--- node-a\n${a.child.output().slice(-3000)}\n--- node-b\n${b.child.output().slice(-2000)}`,
      );
    };

    // Both up; node-a has heard from the hub that node-b/db is healthy.
    await waitFor(
      () => a.child.output().includes('remote dependency node-b/db is up (healthy)'),
      60_000,
      100,
    ).catch(fail);

    // 1. db goes down on node-b; node-a learns it through the hub.
    writeFileSync(dbDown, '');
    await waitFor(() => a.child.output().includes('remote dependency node-b/db is down'), 30_000, 100).catch(
      fail,
    );
    // 2. api crashes on node-a: deferred, naming the remote dependency.
    writeFileSync(apiDown, '');
    await waitFor(
      () => decisions(a.db, 'api').some((d) => d.decision === 'skip_dependency_down'),
      30_000,
      100,
    ).catch(fail);
    const deferred = decisions(a.db, 'api').find((d) => d.decision === 'skip_dependency_down')!;
    expect(deferred.reason).toMatch(/dependency node-b\/db is (restarting|cooldown)/);
    // db keeps failing on node-b for a while (many ship rounds): still no api restart.
    await sleep(4000);
    expect(decisions(b.db, 'db').filter((d) => d.decision === 'restart').length).toBeGreaterThan(1);
    const during = decisions(a.db, 'api').filter(
      (d) => d.id > deferred.id && d.decision.startsWith('restart'),
    );
    const remoteLog = () =>
      a.child
        .output()
        .split('\n')
        .filter((l) => l.includes('remote dependency'))
        .join('\n');
    expect(during, remoteLog()).toEqual([]);

    // 3. db comes back: exactly one api restart, after node-a hears it is up.
    rmSync(apiDown);
    rmSync(dbDown);
    await waitFor(
      () => decisions(a.db, 'api').some((d) => d.decision === 'restart_succeeded'),
      30_000,
      100,
    ).catch(fail);
    await sleep(3000); // several more ship rounds and probe intervals
    const after = decisions(a.db, 'api').filter((d) => d.id > deferred.id);
    expect(after.filter((d) => d.decision === 'restart')).toHaveLength(1);
    const log = a.child.output();
    expect(
      log.indexOf('remote dependency node-b/db is up (healthy)', log.indexOf('is down')),
    ).toBeGreaterThan(0);
  }, 120_000);
});
