/**
 * A lease's finish that the hub did not confirm is sent again (src/serve/budget.ts, FINISH_RETRY):
 * a lost finish would hold the group's slot until the lease's TTL. Real HTTP to a hub stand-in
 * at the wire that fails the first finishes (503, then a reply slower than the timeout).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock/clock.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { FINISH_PATH } from '../../src/fleet/budget-protocol.js';
import { createLogger } from '../../src/log.js';
import { createAgentBudget, FINISH_RETRY } from '../../src/serve/budget.js';

const service = {
  name: 'api',
  unit: 'api.service',
  policy: {
    ...DEFAULT_POLICY,
    budget: {
      group: 'shop',
      maxConcurrent: 2,
      maxPerWindow: 10,
      windowSec: 300,
      onHubUnreachable: 'local' as const,
      timeoutMs: 200,
    },
  },
};

/** Answers finishes by script: 'fail' = 503, 'slow' = after 1 s, 'ok' = 200 {ended: true}. */
async function hub(script: ('fail' | 'slow' | 'ok')[]) {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (req.url !== FINISH_PATH) return void res.writeHead(404).end();
      seen.push(JSON.parse(Buffer.concat(chunks).toString('utf8')).id);
      const step = script[seen.length - 1] ?? 'ok';
      const ok = () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ended":true}');
      if (step === 'fail') res.writeHead(503).end('{"error":{"code":"HUB_UNAVAILABLE"}}');
      else if (step === 'slow') setTimeout(ok, 1000);
      else ok();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise((r) => server.close(r)) };
}

describe('ending a fleet budget lease', () => {
  const open: { close(): Promise<unknown> }[] = [];
  afterEach(async () => {
    for (const h of open.splice(0)) await h.close();
  });

  const budget = (url: string, warnings: string[]) =>
    createAgentBudget({
      hubUrl: url,
      token: 'medic_test_token',
      node: 'n1',
      clock: systemClock,
      logger: createLogger('warn', { write: (line: string) => warnings.push(line) }),
      random: () => 0,
    });

  it('sends a finish again until the hub confirms it (a 503, then a reply later than the timeout)', async () => {
    const h = await hub(['fail', 'slow', 'ok']);
    open.push(h);
    const warnings: string[] = [];
    await budget(h.url, warnings).finish(service, 'n1/api/lease-1');
    expect(h.seen).toEqual(['n1/api/lease-1', 'n1/api/lease-1', 'n1/api/lease-1']);
    expect(warnings).toEqual([]);
  });

  it('gives up after FINISH_RETRY.maxAttempts with one warning (the lease then lapses at its TTL)', async () => {
    const h = await hub(Array(10).fill('fail'));
    open.push(h);
    const warnings: string[] = [];
    await budget(h.url, warnings).finish(service, 'n1/api/lease-2');
    expect(h.seen).toHaveLength(FINISH_RETRY.maxAttempts);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/could not end the lease; it lapses at its TTL/);
  }, 30_000);
});
