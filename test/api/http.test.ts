import { execFile } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, listen, startHarness } from './harness.js';

const SERVICE_FIELDS = `name unit state mode approvalPending
  churn { restartsInWindow windowSec maxRestarts totalRestarts blockedAttempts blockedByReason { reason count } circuitOpens lastRestartAt }
  cooldown { active until } circuit { state openedAt reopensAt } hold { actor reason until } maintenance { id name mode endsAt reason } backoff { nextDelaySec }
  recommendedAction { code summary command runbookUrl }
  policy { failureThreshold startupGraceSec cooldownSec maxRestarts windowSec stableSec mode jitter backoff { initialSec factor maxSec } circuit { openSec maxOpenSec hardStop } }
  lastDecision { decision reason at actor }`;

let h: Harness;
let server: Awaited<ReturnType<typeof listen>> | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  await h?.close();
});

describe('plain HTTP endpoints on a real socket', () => {
  it('answers /healthz, and /readyz with 503 and every reason until detection runs', async () => {
    let detection: string | null = null;
    h = await startHarness({
      deps: {
        readiness: () =>
          detection
            ? { ready: true, reasons: ['D-Bus unavailable; polling'], detection }
            : { ready: false, reasons: ['detection not started'], detection: null },
      },
    });
    server = await listen(h.app);
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ ok: true });
    const notReady = await fetch(`${server.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({
      ready: false,
      reasons: ['detection not started'],
      detection: null,
    });
    detection = 'polling';
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      ready: true,
      reasons: ['D-Bus unavailable; polling'],
      detection: 'polling',
    });
  });

  it('reports the store as a readiness reason when it cannot be read', async () => {
    h = await startHarness();
    h.store.listEvents = () => {
      throw new Error('database is locked');
    };
    const res = await h.app.fetch(new Request('http://medic.test/readyz'));
    expect(res.status).toBe(503);
    expect((await res.json()).reasons).toEqual(['store unavailable: database is locked']);
  });

  it('serves /status to a viewer token as the same projection GraphQL returns', async () => {
    h = await startHarness();
    await h.engine.submit('api', { type: 'exited', code: 78 });
    await h.engine.submit('worker', { type: 'hold', ttlSec: 60, actor: 'ops', reason: 'deploy' });
    server = await listen(h.app);
    const refused = await fetch(`${server.url}/status`);
    expect([refused.status, refused.statusText]).toEqual([401, 'Unauthorized']);
    expect(await refused.json()).toMatchObject({
      code: 'UNAUTHENTICATED',
      error: expect.stringMatching(/^unauthorized: /),
    });
    const res = await fetch(`${server.url}/status`, {
      headers: { authorization: `Bearer ${h.tokens.viewer}` },
    });
    expect(res.status).toBe(200);
    const status = await res.json();
    expect(status.generatedAt).toBe('2026-01-01T00:00:00.000Z');
    const { body } = await h.gql<{ services: unknown[] }>('viewer', `{ services { ${SERVICE_FIELDS} } }`);
    expect(status.services).toEqual(body.data?.services);
    expect(status.services[0]).toMatchObject({
      name: 'api',
      state: 'circuit_open',
      circuit: { state: 'open' },
    });
    expect(status.services[1]).toMatchObject({ name: 'worker', hold: { actor: 'ops', reason: 'deploy' } });
  });

  it('delegates other paths to mounted routes by prefix and answers 404 otherwise', async () => {
    h = await startHarness({
      deps: {
        routes: [
          {
            prefix: '/slack/',
            handle(req, res) {
              let body = '';
              req.on('data', (c) => {
                body += c;
              });
              req.on('end', () => res.end(`slack got ${req.method} ${req.url} ${body}`));
            },
          },
        ],
      },
    });
    server = await listen(h.app);
    const slack = await fetch(`${server.url}/slack/events`, { method: 'POST', body: 'raw=1' });
    expect(await slack.text()).toBe('slack got POST /slack/events raw=1');
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
  });

  it('refuses a chunked body over the limit with 413 (no Content-Length to trust)', async () => {
    h = await startHarness({ deps: { limits: { maxBodyBytes: 1024 } } });
    server = await listen(h.app);
    const { port } = new URL(server.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/graphql',
          method: 'POST',
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 8; i++) req.write('x'.repeat(512));
      req.end();
    });
    expect(status).toBe(413);
  });

  it('refuses a declared body over the limit with 413 on /graphql and /status', async () => {
    h = await startHarness({ deps: { limits: { maxBodyBytes: 1024 } } });
    server = await listen(h.app);
    const body = JSON.stringify({ query: `{ services { name } } #${'x'.repeat(2048)}` });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${h.tokens.viewer}` };
    expect((await fetch(`${server.url}/graphql`, { method: 'POST', headers, body })).status).toBe(413);
    expect((await fetch(`${server.url}/status`, { method: 'POST', headers, body })).status).toBe(413);
    const small = JSON.stringify({ query: '{ services { name } }' });
    expect((await fetch(`${server.url}/graphql`, { method: 'POST', headers, body: small })).status).toBe(200);
  });

  it('runs GraphQL over the socket with a token', async () => {
    h = await startHarness();
    server = await listen(h.app);
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${h.tokens.viewer}` },
      body: JSON.stringify({ query: '{ services { name } }' }),
    });
    expect(await res.json()).toEqual({ data: { services: [{ name: 'api' }, { name: 'worker' }] } });
  });
});

describe('/metrics', () => {
  it('counts restarts by initiator, blocked restarts by reason and shows circuit state and churn', async () => {
    h = await startHarness();
    for (let i = 0; i < 3; i++) await h.engine.submit('api', { type: 'probe_failed' }); // auto restart
    await h.engine.submit('api', { type: 'exited', code: 78 }); // fatal: circuit opens
    await h.engine.submit('api', { type: 'probe_failed' }); // hard-stopped: not a restart attempt
    await h.engine.submit('api', { type: 'force_restart', actor: 'ops', reason: 'try' }); // runs again
    for (let i = 0; i < 5; i++) await h.engine.submit('api', { type: 'probe_failed' }); // refused: one episode
    await h.engine.submit('worker', { type: 'force_restart', actor: 'ops', reason: 'x' });
    h.app.metrics.observeProbe('api', 0.012, false);
    await h.engine.idle();
    const text = await (await h.app.fetch(new Request('http://medic.test/metrics'))).text();
    expect(text).toContain('medic_restarts_total{service="api",initiator="auto"} 1');
    expect(text).toContain('medic_restarts_total{service="api",initiator="forced"} 1');
    expect(text).toContain('medic_restarts_total{service="worker",initiator="forced"} 1');
    expect(text).toContain('medic_restarts_total{service="worker",initiator="approved"} 0');
    // Blocked restarts: one refusal episode; the exact count of refusals is in the state.
    expect(text).toContain('medic_restarts_blocked_total{service="api",reason="skip_circuit_open"} 1');
    expect(text).toContain('medic_restart_refusals{service="api",reason="skip_circuit_open"} 5');
    expect(text).toContain('medic_circuit_state{service="api"} 2');
    expect(text).toContain('medic_circuit_open{service="api"} 1');
    expect(text).toContain('medic_circuit_open{service="worker"} 0');
    expect(text).toContain('medic_circuit_state{service="worker"} 0');
    expect(text).toContain('medic_churn_restarts_in_window{service="worker"} 1');
    expect(text).toContain('medic_churn_max_restarts{service="api"} 3');
    expect(text).toContain('medic_probe_duration_seconds_count{service="api",result="failed"} 1');
    expect(text).toContain('medic_drift_findings{severity="error"} 0');
  });

  it('times decisions made through the API into the decision latency histogram', async () => {
    h = await startHarness();
    await h.gql('operator', 'mutation { holdService(name: "api", ttlSec: 60, reason: "x") { __typename } }');
    const text = await h.app.metrics.text();
    expect(text).toContain('medic_decision_latency_seconds_count{input="hold"} 1');
  });

  it('passes promtool check metrics', async (ctx) => {
    const promtool = await which('promtool');
    if (!promtool) {
      if (process.env.MEDIC_REQUIRE_SYSTEMD === '1')
        throw new Error('promtool is required (apt package prometheus)');
      ctx.skip('promtool not installed (apt package prometheus)');
    }
    h = await startHarness();
    await h.engine.submit('api', { type: 'exited', code: 78 });
    h.app.metrics.observeProbe('api', 0.05, true);
    server = await listen(h.app);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const out = await run(promtool!, ['check', 'metrics'], text);
    expect(out).toEqual({ code: 0, output: '' });
  });
});

function which(cmd: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', `command -v ${cmd}`], (err, stdout) => resolve(err ? null : stdout.trim() || null));
  });
}

function run(cmd: string, args: string[], stdin?: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, (err, stdout, stderr) => {
      resolve({
        code: err ? ((err as { code?: number }).code ?? 1) : 0,
        output: `${stdout}${stderr}`.trim(),
      });
    });
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}
