import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpProbe, Prober } from '../../src/watchdog/probes.js';

describe('HTTP health probes', () => {
  let server: Server;
  let base = '';
  let inFlight = 0;
  let maxInFlight = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/ok') return res.end('ok');
      if (req.url === '/500') {
        res.statusCode = 500;
        return res.end();
      }
      if (req.url === '/slow') {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        setTimeout(() => {
          inFlight--;
          res.end('ok');
        }, 150);
        return;
      }
      // /hang: never answers
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    // The process's first fetch loads and initialises undici (hundreds of ms on a loaded machine);
    // that start-up is not what the 300 ms probe timeouts below measure.
    await (await fetch(`${base}/ok`)).arrayBuffer();
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  const health = (path: string, timeoutMs = 300) => ({ url: `${base}${path}`, intervalSec: 0.05, timeoutMs });

  it('passes on 2xx and fails with the status otherwise', async () => {
    expect(await httpProbe(health('/ok'))).toMatchObject({ ok: true, detail: 'HTTP 200' });
    expect(await httpProbe(health('/500'))).toMatchObject({ ok: false, detail: 'HTTP 500' });
  });

  it('fails a probe that gets no answer within timeoutMs', async () => {
    const r = await httpProbe(health('/hang', 200));
    expect(r).toMatchObject({ ok: false, detail: 'timeout after 200 ms' });
    expect(r.durationMs).toBeLessThan(1000);
  });

  it('fails a probe whose port refuses connections', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    expect(
      (await httpProbe({ url: `http://127.0.0.1:${port}/health`, intervalSec: 1, timeoutMs: 500 })).detail,
    ).toMatch(/connection failed: ECONNREFUSED/);
  });

  it('never overlaps probes of one service, even when they are slower than the interval', async () => {
    const reports: string[] = [];
    const prober = new Prober({
      targets: [{ service: 's', unit: 's.service', health: health('/slow', 1000) }],
      unitStatus: () => undefined,
      report: (_s, input) => reports.push(input.type),
    });
    prober.start();
    await new Promise((r) => setTimeout(r, 800));
    await prober.stop();
    expect(reports.length).toBeGreaterThanOrEqual(3);
    expect(reports.every((t) => t === 'probe_ok')).toBe(true);
    expect(maxInFlight).toBe(1);
  });

  it('judges services without health by their unit state', async () => {
    const reports: unknown[] = [];
    const states = ['active', 'failed', 'activating'];
    let i = 0;
    const prober = new Prober({
      targets: [{ service: 's', unit: 's.service' }],
      unitStatus: () => ({ activeState: states[Math.min(i++, 2)], subState: 'x' }) as never,
      report: (_s, input) => reports.push(input),
      stateIntervalMs: 20,
    });
    prober.start();
    await new Promise((r) => setTimeout(r, 200));
    await prober.stop();
    expect(reports.slice(0, 2)).toEqual([
      { type: 'probe_ok' },
      { type: 'probe_failed', detail: 'unit failed/x' },
    ]);
    expect(reports).toHaveLength(2); // 'activating' gives no verdict
  });
});
