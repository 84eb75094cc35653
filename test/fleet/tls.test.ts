/**
 * TLS between agents and the hub, with a CA and a server certificate made by openssl at test time:
 * the hub serves HTTPS with MEDIC_TLS_CERT / MEDIC_TLS_KEY; a real `medic serve` agent trusting
 * the CA (MEDIC_HUB_CA) ships to it; an agent trusting another CA is refused with a message that
 * names MEDIC_HUB_CA and ships nothing; a plain-HTTP client on the TLS port gets nothing; the
 * CLI's client reaches the hub over https with the CA. Unreadable or mismatched files are one
 * configuration error (exit 2).
 */
import { readFileSync } from 'node:fs';
import { get } from 'node:https';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubRequestError, postToHub } from '../../src/agent/hub-request.js';
import { main } from '../../src/cli/main.js';
import { OpsError, request } from '../../src/cli/ops/client.js';
import { targetOf } from '../../src/cli/ops/target.js';
import { systemClock } from '../../src/clock/clock.js';
import { type ConfigError, loadEnv } from '../../src/config/env.js';
import { SHIP_PATH } from '../../src/fleet/protocol.js';
import { HubConfigError, type RunningHub, startHub } from '../../src/hub/hub.js';
import { createAgentToken, createHubToken } from '../../src/hub/tokens.js';
import { createLogger } from '../../src/log.js';
import { waitFor } from '../helpers/systemd.js';
import { tempDir } from '../watchdog/helpers.js';
import { type AgentProcess, FLEET_POLICY, hubEventRows, startAgent } from './agent-process.js';
import { freshDatabase, skipPg } from './pg.js';
import { makeCa, makeServerCert, type TestCa } from './tls-certs.js';

const policy = FLEET_POLICY;

let dir: string;
let ca: TestCa;
let other: TestCa;
let server: { cert: string; key: string };
let otherServer: { cert: string; key: string };

beforeAll(async () => {
  dir = tempDir('tls');
  ca = await makeCa(dir, 'medic-test-ca');
  other = await makeCa(dir, 'someone-elses-ca');
  server = await makeServerCert(dir, ca);
  otherServer = await makeServerCert(dir, other, 'other-hub');
});

async function cli(args: string[], env: Record<string, string>) {
  const stderr = new PassThrough();
  let err = '';
  stderr.on('data', (b) => {
    err += b;
  });
  const code = await main(args, { stdout: new PassThrough(), stderr, env, clock: systemClock });
  return { code, stderr: err };
}

describe('TLS configuration is checked once, with every problem', () => {
  it('names unreadable and non-PEM files and a missing half of the pair', () => {
    let problems: string[] = [];
    try {
      loadEnv({ MEDIC_TLS_CERT: `${dir}/nope.pem`, MEDIC_HUB_CA: `${dir}/hub.csr.missing` });
    } catch (err) {
      problems = (err as ConfigError).problems;
    }
    expect(problems.join('\n')).toMatch(/MEDIC_TLS_CERT: cannot read .*nope\.pem \(ENOENT\)/);
    expect(problems.join('\n')).toMatch(/MEDIC_HUB_CA: cannot read/);
    expect(problems.join('\n')).toMatch(/MEDIC_TLS_KEY: required when MEDIC_TLS_CERT is set/);
    expect(() => loadEnv({ MEDIC_HUB_CA: `${dir}/hub.ext` })).toThrow(/MEDIC_HUB_CA: .*not a PEM file/);
  });

  it('medic hub exits 2 on an unreadable certificate, before touching the database', async () => {
    const out = await cli(['hub'], {
      MEDIC_HUB_DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      MEDIC_TLS_CERT: `${dir}/missing.pem`,
      MEDIC_TLS_KEY: server.key,
    });
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/MEDIC_TLS_CERT: cannot read/);
  });

  it('a key that is not the certificate’s is one configuration error (exit 2)', async () => {
    const env = {
      MEDIC_HUB_DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      MEDIC_TLS_CERT: server.cert,
      MEDIC_TLS_KEY: otherServer.key,
    };
    await expect(startHub({ env: loadEnv(env), logger: createLogger('silent') })).rejects.toThrow(
      HubConfigError,
    );
    const out = await cli(['hub'], env);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/MEDIC_TLS_CERT \/ MEDIC_TLS_KEY cannot be used: .*key/i);
  });
});

describe.skipIf(skipPg)('the hub over TLS (real PostgreSQL, real agents)', () => {
  let hub: RunningHub | null = null;
  const children: AgentProcess['child'][] = [];
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await hub?.close().catch(() => {});
  });

  it('trusted agents ship over HTTPS; a wrong CA and plain HTTP are refused', async () => {
    const db = await freshDatabase();
    hub = await startHub({
      env: loadEnv({
        MEDIC_HUB_DATABASE_URL: db,
        MEDIC_PORT: '0',
        MEDIC_TLS_CERT: server.cert,
        MEDIC_TLS_KEY: server.key,
      }),
      logger: createLogger('silent'),
    });
    expect(hub.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const port = new URL(hub.url).port;
    const good = await createAgentToken(hub.database.db, 'agent-good', 'node-good', Date.now());
    const bad = await createAgentToken(hub.database.db, 'agent-bad', 'node-bad', Date.now());
    const viewer = await createHubToken(hub.database.db, 'viewer', 'viewer', null, Date.now());
    const service = { name: 'crasher', python: 'import time, sys; time.sleep(0.3); sys.exit(3)', policy };
    const trusted = startAgent({
      hubUrl: hub.url,
      token: good,
      node: 'node-good',
      service,
      env: { MEDIC_HUB_CA: ca.ca },
    });
    const untrusting = startAgent({
      hubUrl: hub.url,
      token: bad,
      node: 'node-bad',
      service,
      env: { MEDIC_HUB_CA: other.ca },
    });
    children.push(trusted.child, untrusting.child);

    // The agent with the right CA ships its crashes over HTTPS.
    await waitFor(
      async () => (await hubEventRows(hub!.database.pool, 'node-good')).some((e) => e.service === 'crasher'),
      30_000,
      100,
    ).catch((err) => {
      throw new Error(`${err.message}\n${trusted.child.output().slice(-3000)}`);
    });

    // The agent with another CA refuses the hub's certificate, says what to set, ships nothing.
    await waitFor(() => untrusting.child.output().includes('not signed by a trusted CA'), 30_000, 100).catch(
      (err) => {
        throw new Error(`${err.message}\n${untrusting.child.output().slice(-3000)}`);
      },
    );
    expect(untrusting.child.output()).toMatch(/set MEDIC_HUB_CA to the CA certificate that signed it/);
    const nodes = await hub.database.pool.query('SELECT name FROM nodes ORDER BY name');
    expect(nodes.rows.map((r) => r.name)).toEqual(['node-good']);
    // ... and keeps deciding locally meanwhile.
    expect(untrusting.child.exitCode).toBeNull();

    // Plain HTTP on the TLS port gets no answer, and the agent's client says why.
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    const plain = postToHub({
      url: new URL(SHIP_PATH, `http://127.0.0.1:${port}`),
      token: good,
      body: { node: 'node-good', version: null, after: null, events: [], services: [] },
      timeoutMs: 5000,
      clock: systemClock,
    });
    await expect(plain).rejects.toBeInstanceOf(HubRequestError);
    await expect(plain).rejects.toThrow(/if the hub serves HTTPS, MEDIC_HUB_URL must start with https:\/\//);
    // HTTPS with Node's default CA store does not trust the test CA either.
    await expect(fetch(`${hub.url}/healthz`)).rejects.toThrow();
    const status = await new Promise<number>((resolve, reject) =>
      get(`${hub!.url}/healthz`, { ca: readFileSync(ca.ca) }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject),
    );
    expect(status).toBe(200);

    // The CLI's client: MEDIC_URL https + MEDIC_HUB_CA reaches the hub; without the CA it says why.
    const target = await targetOf({ url: hub.url }, {
      env: { MEDIC_TOKEN: viewer, MEDIC_HUB_CA: ca.ca },
      cwd: dir,
    } as never);
    expect(target.ca).toBeDefined();
    const data = await request<{ nodes: { name: string }[] }>(target, '{ nodes { name } }');
    expect(data.nodes.map((n) => n.name)).toContain('node-good');
    const refused = request({ url: hub.url, token: viewer }, '{ nodes { name } }');
    await expect(refused).rejects.toBeInstanceOf(OpsError);
    await expect(refused).rejects.toThrow(/not signed by a trusted CA .*MEDIC_HUB_CA/);
  }, 90_000);
});
