/**
 * The operator CLI against a real medic API on a socket: status/hold/release/approve/force/
 * reset/events/drift through GraphQL, credentials from MEDIC_URL/MEDIC_TOKEN or --token-file,
 * one clear message per failure with exit 1 (refused) or 2 (invalid input, unreachable,
 * refused token). Also the commander front: --version, did-you-mean, per-flag help and the same
 * error for an unknown flag on every command.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { type Harness, listen, startHarness } from '../api/harness.js';
import { tempDir } from '../watchdog/helpers.js';

let h: Harness;
let server: Awaited<ReturnType<typeof listen>>;

function started(args: string[], env: Record<string, string> = {}, signal?: AbortSignal) {
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
  const done = main(args, { stdout, stderr, env, cwd: process.cwd(), signal }).then((code) => ({
    code,
    out,
    err,
  }));
  return { done, out: () => out };
}

const medic = (args: string[], env: Record<string, string> = {}) => started(args, env).done;

const as = (role: 'viewer' | 'operator' | 'admin') => ({
  MEDIC_URL: server.url,
  MEDIC_TOKEN: h.tokens[role],
});

beforeAll(async () => {
  h = await startHarness();
  server = await listen(h.app);
});
afterAll(async () => {
  await server?.close();
  await h?.close();
});

describe('the commander front', () => {
  it('prints the version with --version and -V', async () => {
    for (const flag of ['--version', '-V']) {
      const r = await medic([flag]);
      expect(r).toMatchObject({ code: 0, err: '' });
      expect(r.out.trim()).toMatch(/^\d+\.\d+\.\d+/);
    }
  });

  it('suggests the command meant, for commands and subcommands alike', async () => {
    const top = await medic(['stauts']);
    expect(top.code).toBe(2);
    expect(top.err).toContain('(Did you mean status?)');
    const sub = await medic(['contract', 'chek']);
    expect(sub.code).toBe(2);
    expect(sub.err).toContain('(Did you mean check?)');
    const flag = await medic(['status', '--jsn']);
    expect(flag.code).toBe(2);
    expect(flag.err).toContain('(Did you mean --json?)');
  });

  it('explains every flag in a command help', async () => {
    const r = await medic(['hold', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/--for <duration>\s+how long: 90s, 30m, 2h, 1d/);
    expect(r.out).toMatch(/--reason <text>\s+why/);
    expect(r.out).toMatch(/--token-file <file>/);
    const apply = await medic(['policy', 'apply', '--help']);
    expect(apply.out).toMatch(/--yes\s+activate the candidate/);
  });

  it.each([
    ['serve'],
    ['demo'],
    ['contract', 'check'],
    ['contract', 'render'],
    ['policy', 'check'],
    ['policy', 'apply'],
    ['runbook'],
    ['token', 'list'],
    ['status'],
    ['hold', 'api', '--for', '1m', '--reason', 'x'],
    ['events'],
    ['drift'],
  ])('refuses an unknown flag the same way: medic %s', async (...cmd) => {
    const r = await medic([...cmd, '--no-such-flag']);
    expect(r.code).toBe(2);
    expect(r.err).toContain("error: unknown option '--no-such-flag'");
    expect(r.out).toBe('');
  });
});

describe('operator commands over the API', () => {
  it('shows a plain table when piped, and one service in detail or as JSON', async () => {
    const table = await medic(['status'], as('viewer'));
    expect(table.code).toBe(0);
    const lines = table.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SERVICE\s+STATE\s+RESTARTS\s+CIRCUIT\s+NEXT\s+RECOMMENDED$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 4))).toEqual([
      ['api', 'healthy', '0/3', 'closed'],
      ['worker', 'healthy', '0/3', 'closed'],
    ]);
    expect(table.out).not.toContain('\u001b[');
    const one = await medic(['status', 'api'], as('viewer'));
    expect(one.out).toMatch(/^api \(api\.service\): healthy/);
    const json = await medic(['status', 'api', '--json'], as('viewer'));
    expect(JSON.parse(json.out)).toMatchObject({ name: 'api', state: 'healthy' });
    const missing = await medic(['status', 'nope'], as('viewer'));
    expect(missing).toMatchObject({ code: 2, err: "medic status: no service named 'nope'\n" });
  });

  it('holds and releases as an operator, audited under the token name', async () => {
    const hold = await medic(['hold', 'worker', '--for', '30m', '--reason', 'deploy'], as('operator'));
    expect(hold.err).toBe('');
    expect(hold.code).toBe(0);
    expect(hold.out).toMatch(/^held worker: now held until \d{4}-/);
    expect(h.engine.view('worker')?.hold).toMatchObject({ actor: 'operator-token', reason: 'deploy' });
    const release = await medic(['release', 'worker', '--reason', 'done'], as('operator'));
    expect(release).toMatchObject({ code: 0, out: 'released worker: now healthy\n' });
  });

  it('exits 1 for a refused action, naming the role it needs or why nothing changed', async () => {
    const viewer = await medic(['hold', 'api', '--for', '5m', '--reason', 'x'], as('viewer'));
    expect(viewer).toMatchObject({ code: 1, err: 'medic hold: not allowed: this needs the operator role\n' });
    const force = await medic(['force', 'api', '--reason', 'x'], as('operator'));
    expect(force).toMatchObject({ code: 1, err: 'medic force: not allowed: this needs the admin role\n' });
    const approve = await medic(['approve', 'api', '--reason', 'x'], as('operator'));
    expect(approve.code).toBe(1);
    expect(approve.err).toMatch(/^medic approve: refused: /);
  });

  it('exits 2 for bad input: missing reason, bad duration, unknown service', async () => {
    const noReason = await medic(['release', 'api'], as('operator'));
    expect(noReason).toMatchObject({
      code: 2,
      err: "error: required option '--reason <text>' not specified\n",
    });
    const badFor = await medic(['hold', 'api', '--for', 'soon', '--reason', 'x'], as('operator'));
    expect(badFor.code).toBe(2);
    expect(badFor.err).toContain("--for takes a duration such as 90s, 30m, 2h or 1d (got 'soon')");
    const unknown = await medic(['release', 'nope', '--reason', 'x'], as('operator'));
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/^medic release: NOT_FOUND: /);
  });

  it('exits 2 naming the problem when medic is unreachable, the token is refused or missing', async () => {
    const closed = await listen(h.app);
    await closed.close(); // a port nobody listens on
    const down = await medic(['status'], { MEDIC_URL: closed.url, MEDIC_TOKEN: 'x' });
    expect(down.code).toBe(2);
    expect(down.err).toBe(
      `medic status: cannot reach medic at ${closed.url}: ECONNREFUSED (is \`medic serve\` running? set MEDIC_URL or --url)\n`,
    );
    const bad = await medic(['status'], { MEDIC_URL: server.url, MEDIC_TOKEN: 'medic_wrong' });
    expect(bad).toMatchObject({
      code: 2,
      err: 'medic status: medic refused the token (401 unauthorized: invalid or revoked token); set MEDIC_TOKEN or --token-file\n',
    });
    const none = await medic(['status'], { MEDIC_URL: server.url });
    expect(none.code).toBe(2);
    expect(none.err).toContain('no token: set MEDIC_TOKEN or pass --token-file FILE');
  });

  it('reads the token from --token-file', async () => {
    const file = join(tempDir('token'), 'token');
    writeFileSync(file, `${h.tokens.viewer}\n`);
    const r = await medic(['status', '--url', server.url, '--token-file', file]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('worker');
  });

  it('lists events, as text or JSON lines', async () => {
    await h.engine.submit('api', { type: 'hold', ttlSec: 60, actor: 'ops', reason: 'look' });
    const text = await medic(['events', '--service', 'api'], as('viewer'));
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/ {2}api\s+hold_set by ops: look\n$/);
    const json = await medic(['events', '--service', 'api', '--json', '--limit', '1'], as('viewer'));
    expect(JSON.parse(json.out)).toMatchObject({ service: 'api', kind: 'hold_set', actor: 'ops' });
    const bad = await medic(['events', '--since', 'yesterday-ish'], as('viewer'));
    expect(bad.code).toBe(2);
  });

  it('follows events over the subscription until stopped', async () => {
    const abort = new AbortController();
    const run = started(['events', '--service', 'worker', '--follow', '--json'], as('viewer'), abort.signal);
    // The history (an earlier test's hold_released) is printed once the subscription is up.
    await expect.poll(run.out, { timeout: 10_000 }).toContain('hold_released');
    await h.engine.submit('worker', { type: 'hold', ttlSec: 60, actor: 'ops', reason: 'live' });
    await expect.poll(run.out, { timeout: 10_000 }).toContain('"reason":"live"');
    abort.abort();
    const r = await run.done;
    expect(r.code).toBe(0);
    const lines = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.at(-1)).toMatchObject({ service: 'worker', kind: 'hold_set', reason: 'live' });
    expect(new Set(lines.map((l) => l.id)).size).toBe(lines.length);
  });

  it('reports a medic without a runtime contract for drift with exit 2', async () => {
    const r = await medic(['drift'], as('viewer'));
    expect(r).toMatchObject({ code: 2, err: 'medic drift: medic runs without a runtime contract\n' });
  });
});
