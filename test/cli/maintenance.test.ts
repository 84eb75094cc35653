/**
 * `medic maintenance add|list|cancel` against a real medic API on a socket: windows scheduled
 * and cancelled over GraphQL, audited under the token's name; a viewer is refused (exit 1), bad
 * input is exit 2 with one clear message.
 */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { type Harness, listen, startHarness } from '../api/harness.js';

let h: Harness;
let server: Awaited<ReturnType<typeof listen>>;

async function medic(args: string[], role: 'viewer' | 'operator') {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (b) => {
    out += b;
  });
  stderr.on('data', (b) => {
    err += b;
  });
  const env = { MEDIC_URL: server.url, MEDIC_TOKEN: h.tokens[role] };
  const code = await main(args, { stdout, stderr, env, cwd: process.cwd(), clock: h.clock });
  return { code, out, err };
}

beforeAll(async () => {
  h = await startHarness();
  server = await listen(h.app);
});
afterAll(async () => {
  await server?.close();
  await h?.close();
});

describe('medic maintenance', () => {
  it('adds, lists and cancels a window as an operator', async () => {
    const add = await medic(
      ['maintenance', 'add', '--services', 'api', '--for', '2h', '--reason', 'db migration'],
      'operator',
    );
    expect(add.err).toBe('');
    expect(add).toMatchObject({
      code: 0,
      out: 'scheduled adhoc:1 (hold) for api: 2026-01-01T00:00:00.000Z → 2026-01-01T02:00:00.000Z\n',
    });
    expect(h.engine.view('api')?.maintenance).toMatchObject({ mode: 'hold', name: 'adhoc-1' });
    const shadow = await medic(
      ['maintenance', 'add', '--until', '2026-01-01T01:00:00Z', '--mode', 'shadow', '--reason', 'canary'],
      'operator',
    );
    expect(shadow.out).toMatch(/^scheduled adhoc:2 \(shadow\) for all: /);

    const status = await medic(['status'], 'viewer');
    expect(status.out).toMatch(
      /\napi\s+healthy\s+0\/3\s+closed\s+maintenance adhoc-1 \(hold\) ends in 2h 00m/,
    );
    const one = await medic(['status', 'api'], 'viewer');
    expect(one.out).toContain(
      '  maintenance adhoc-1 (hold) until 2026-01-01T02:00:00.000Z (in 2h 00m): db migration (operator-token)\n',
    );
    const list = await medic(['maintenance', 'list'], 'viewer');
    expect(list.code).toBe(0);
    expect(list.out.split('\n')[0]).toMatch(
      /^ID\s+MODE\s+WHEN\s+SERVICES\s+FROM\s+UNTIL\s+SCHEDULE \/ REASON$/,
    );
    expect(list.out).toMatch(
      /adhoc:1\s+hold\s+now\s+api\s+2026-01-01T00:00:00.000Z\s+2026-01-01T02:00:00.000Z\s+db migration \(operator-token\)/,
    );
    const json = JSON.parse((await medic(['maintenance', 'list', '--json'], 'viewer')).out);
    expect(json.map((w: { id: string }) => w.id)).toEqual(['adhoc:1', 'adhoc:2']);

    const cancel = await medic(['maintenance', 'cancel', 'adhoc-1', '--reason', 'done'], 'operator');
    expect(cancel).toMatchObject({
      code: 0,
      out: 'cancelled adhoc:1: its services are handed back to their policy now\n',
    });
    expect(h.engine.view('api')?.maintenance).toMatchObject({ name: 'adhoc-2', mode: 'shadow' });
    const audit = h.store.listEvents({ kinds: ['maintenance_scheduled', 'maintenance_cancelled'] }).events;
    expect(audit.map((e) => [e.kind, e.actor])).toEqual([
      ['maintenance_scheduled', 'operator-token'],
      ['maintenance_scheduled', 'operator-token'],
      ['maintenance_cancelled', 'operator-token'],
    ]);
  });

  it('--notify schedules a window whose incidents and escalations are sent, marked', async () => {
    const add = await medic(
      ['maintenance', 'add', '--services', 'worker', '--for', '1h', '--notify', '--reason', 'kernel'],
      'operator',
    );
    expect(add.code).toBe(0);
    expect(add.out).toMatch(/^scheduled (adhoc:\d+) \(hold, notify\) for worker: /);
    const id = /^scheduled (adhoc:\d+)/.exec(add.out)![1];
    const json = JSON.parse((await medic(['maintenance', 'list', '--json'], 'viewer')).out);
    expect(json.find((w: { id: string }) => w.id === id)).toMatchObject({
      notify: true,
      services: ['worker'],
    });
    await medic(['maintenance', 'cancel', id!, '--reason', 'done'], 'operator');
  });

  it('refuses a viewer (exit 1) and bad input (exit 2) with one message each', async () => {
    const viewer = await medic(['maintenance', 'add', '--for', '1h', '--reason', 'x'], 'viewer');
    expect(viewer).toMatchObject({
      code: 1,
      err: 'medic maintenance add: not allowed: this needs the operator role\n',
    });
    const both = await medic(
      ['maintenance', 'add', '--for', '1h', '--until', '2026-01-02T00:00:00Z', '--reason', 'x'],
      'operator',
    );
    expect(both).toMatchObject({
      code: 2,
      err: expect.stringContaining('give one of --for DURATION and --until TIME'),
    });
    const unknown = await medic(
      ['maintenance', 'add', '--services', 'nope', '--for', '1h', '--reason', 'x'],
      'operator',
    );
    expect(unknown).toMatchObject({
      code: 2,
      err: "medic maintenance add: NOT_FOUND: no service named 'nope'\n",
    });
    const gone = await medic(['maintenance', 'cancel', '99'], 'operator');
    expect(gone).toMatchObject({
      code: 2,
      err: 'medic maintenance cancel: NOT_FOUND: no maintenance window adhoc:99\n',
    });
  });
});
