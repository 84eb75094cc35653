import { describe, expect, it } from 'vitest';
import { DeliveryDedupe, deliveryKey } from '../../bot/dedupe.js';
import { parseCommand } from '../../bot/listeners/commands/parse.js';
import { roleOf } from '../../bot/roles.js';

describe('/medic command parsing', () => {
  it('parses each verb with its arguments', () => {
    expect(parseCommand('')).toEqual({ type: 'help' });
    expect(parseCommand('status')).toEqual({ type: 'status' });
    expect(parseCommand('status api')).toEqual({ type: 'status', service: 'api' });
    expect(parseCommand('approve api looked at the journal')).toEqual({
      type: 'approve',
      service: 'api',
      reason: 'looked at the journal',
    });
    expect(parseCommand('block api 2h deploying')).toEqual({
      type: 'block',
      service: 'api',
      ttlSec: 7200,
      reason: 'deploying',
    });
    expect(parseCommand('release api')).toEqual({ type: 'release', service: 'api', reason: undefined });
    expect(parseCommand('drift')).toEqual({ type: 'drift' });
  });
  it('explains bad input instead of guessing', () => {
    expect(parseCommand('block api forever').type).toBe('error');
    expect(parseCommand('approve').type).toBe('error');
    expect(parseCommand('reboot api').type).toBe('error');
    expect(parseCommand('status a;rm').type).toBe('error');
  });
});

describe('roles', () => {
  it('maps admins, operators and everyone else', () => {
    const env = { SLACK_OPERATORS: ['U1OPS'], SLACK_ADMINS: ['U1ADM'] };
    expect(roleOf(env, 'U1ADM')).toBe('admin');
    expect(roleOf(env, 'U1OPS')).toBe('operator');
    expect(roleOf(env, 'U1ANY')).toBe('viewer');
  });
});

describe('delivery dedupe', () => {
  it('processes an event id once within the TTL, again after it', () => {
    const d = new DeliveryDedupe(1000);
    expect(d.firstTime('event:Ev1', 0)).toBe(true);
    expect(d.firstTime('event:Ev1', 500)).toBe(false);
    expect(d.firstTime('event:Ev1', 2000)).toBe(true);
  });
  it('identifies events, clicks and commands', () => {
    expect(deliveryKey({ event_id: 'Ev1' })).toBe('event:Ev1');
    expect(
      deliveryKey({ type: 'block_actions', trigger_id: 't', actions: [{ action_id: 'a', action_ts: '1' }] }),
    ).toBe('action:t:a:1');
    expect(deliveryKey({ command: '/medic', trigger_id: 't2' })).toBe('command:t2');
  });
});
