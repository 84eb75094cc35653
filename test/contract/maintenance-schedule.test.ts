/**
 * Where maintenance windows lie in real time zones: pure evaluation (spanAt, activeFor,
 * nextBoundary) across Europe/Berlin's DST changes and midnight, and the engine's window watch
 * driven by a SimulatedClock (each end seen exactly once, at its instant).
 */
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/clock/clock.js';
import { activeFor, type MaintenanceWindow, nextBoundary } from '../../src/contract/maintenance/active.js';
import { parseSchedule, type Schedule } from '../../src/contract/maintenance/schedule.js';
import { spanAt } from '../../src/contract/maintenance/window.js';
import { MaintenanceWatch } from '../../src/engine/maintenance.js';

const BERLIN = 'Europe/Berlin';
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

function schedule(text: string): Schedule {
  const p = parseSchedule(text);
  if (!('schedule' in p)) throw new Error(p.problem);
  return p.schedule;
}

function span(text: string, tz: string, t: string): [string, string] | null {
  const s = spanAt(schedule(text), tz, at(t));
  return s ? [iso(s.start), iso(s.end)] : null;
}

function window(text: string, over: Partial<MaintenanceWindow> = {}): MaintenanceWindow {
  return {
    id: 'contract:w',
    name: 'w',
    services: ['api'],
    mode: 'hold',
    notify: false,
    reason: null,
    when: { kind: 'schedule', schedule: schedule(text), timezone: BERLIN },
    ...over,
  };
}

describe('schedule evaluation in Europe/Berlin', () => {
  it('an ordinary Saturday 02:00-04:00 is 02:00-04:00 local (CET: 01:00-03:00 UTC), end exclusive', () => {
    expect(span('Sat 02:00-04:00', BERLIN, '2026-01-03T00:59:59.999Z')).toBeNull();
    expect(span('Sat 02:00-04:00', BERLIN, '2026-01-03T01:00:00Z')).toEqual([
      '2026-01-03T01:00:00.000Z',
      '2026-01-03T03:00:00.000Z',
    ]);
    expect(span('Sat 02:00-04:00', BERLIN, '2026-01-03T03:00:00Z')).toBeNull();
    // Summer time (CEST, UTC+2): the same local times, two hours before UTC.
    expect(span('Sat 02:00-04:00', BERLIN, '2026-07-04T01:00:00Z')).toEqual([
      '2026-07-04T00:00:00.000Z',
      '2026-07-04T02:00:00.000Z',
    ]);
  });

  it('spring-forward (29 Mar 2026, 02:00 → 03:00): a start in the skipped hour begins at 03:00, ends at 04:00 local (1 h)', () => {
    expect(span('Sun 02:00-04:00', BERLIN, '2026-03-29T00:30:00Z')).toBeNull();
    expect(span('Sun 02:00-04:00', BERLIN, '2026-03-29T01:30:00Z')).toEqual([
      '2026-03-29T01:00:00.000Z', // 03:00 CEST
      '2026-03-29T02:00:00.000Z', // 04:00 CEST
    ]);
    // A window that straddles the change keeps its local end: 01:00 CET → 04:00 CEST is 2 h.
    expect(span('Sun 01:00-04:00', BERLIN, '2026-03-29T00:10:00Z')).toEqual([
      '2026-03-29T00:00:00.000Z',
      '2026-03-29T02:00:00.000Z',
    ]);
  });

  it('fall-back (25 Oct 2026, 03:00 → 02:00): an ambiguous start is the later 02:00 (CET); the local end 04:00 CET holds', () => {
    expect(span('Sun 02:00-04:00', BERLIN, '2026-10-25T00:30:00Z')).toBeNull(); // 02:30 CEST
    expect(span('Sun 02:00-04:00', BERLIN, '2026-10-25T01:30:00Z')).toEqual([
      '2026-10-25T01:00:00.000Z', // 02:00 CET
      '2026-10-25T03:00:00.000Z', // 04:00 CET
    ]);
    // A window from before the change to after it lasts one hour longer than its clock says.
    expect(span('Sun 01:00-04:00', BERLIN, '2026-10-25T00:30:00Z')).toEqual([
      '2026-10-24T23:00:00.000Z', // 01:00 CEST
      '2026-10-25T03:00:00.000Z', // 04:00 CET: 4 h later
    ]);
  });

  it('a window across midnight ends on the next day, also on the spring-forward night', () => {
    expect(span('Sat 23:00-01:00', BERLIN, '2026-01-03T23:30:00Z')).toEqual([
      '2026-01-03T22:00:00.000Z',
      '2026-01-04T00:00:00.000Z',
    ]);
    expect(span('Sat 23:00-03:30', BERLIN, '2026-03-29T01:00:00Z')).toEqual([
      '2026-03-28T22:00:00.000Z', // 23:00 CET
      '2026-03-29T01:30:00.000Z', // 03:30 CEST: 2.5 h later
    ]);
    expect(span('Sat 23:00-01:00', BERLIN, '2026-01-04T00:00:00Z')).toBeNull();
  });

  it('a cron schedule lasts its duration in elapsed time', () => {
    const s = parseSchedule({ cron: '0 2 * * 0', duration: '2h' });
    if (!('schedule' in s)) throw new Error(s.problem);
    const found = spanAt(s.schedule, BERLIN, at('2026-03-29T02:30:00Z'));
    expect(found && [iso(found.start), iso(found.end)]).toEqual([
      '2026-03-29T01:00:00.000Z',
      '2026-03-29T03:00:00.000Z',
    ]);
  });

  it('activeFor: only the covered services; hold beats shadow; endsAt is the window end', () => {
    const ws = [
      window('Sat 02:00-04:00', { id: 'contract:hold', name: 'hold' }),
      window('Sat 01:00-06:00', { id: 'contract:sh', name: 'sh', mode: 'shadow', services: 'all' }),
    ];
    const t = at('2026-01-03T01:30:00Z');
    expect(activeFor(ws, 'api', t)).toMatchObject({
      name: 'hold',
      mode: 'hold',
      endsAt: at('2026-01-03T03:00:00Z'),
    });
    expect(activeFor(ws, 'db', t)).toMatchObject({
      name: 'sh',
      mode: 'shadow',
      endsAt: at('2026-01-03T05:00:00Z'),
    });
    expect(activeFor(ws, 'db', at('2026-01-03T05:00:00Z'))).toBeNull();
    expect(iso(nextBoundary(ws, t)!)).toBe('2026-01-03T03:00:00.000Z');
  });
});

describe('the engine window watch on a SimulatedClock', () => {
  it('sees each end of a weekly window exactly once, at its instant, across both DST changes', () => {
    const ended: string[] = [];
    for (const [from, to] of [
      ['2026-03-20T00:00:00Z', '2026-04-06T00:00:00Z'],
      ['2026-10-16T00:00:00Z', '2026-11-02T00:00:00Z'],
    ] as const) {
      const clock = new SimulatedClock(at(from));
      const watch = new MaintenanceWatch(
        clock,
        () => ['api', 'db'],
        (service) => ended.push(`${service}@${iso(clock.now())}`),
      );
      watch.set([window('Sun 02:00-04:00')]);
      clock.advanceTo(at(to));
      watch.close();
    }
    // One end per Sunday, at 04:00 local (CET 03:00Z, CEST 02:00Z); db is not covered.
    expect(ended).toEqual([
      'api@2026-03-22T03:00:00.000Z',
      'api@2026-03-29T02:00:00.000Z',
      'api@2026-04-05T02:00:00.000Z',
      'api@2026-10-18T02:00:00.000Z',
      'api@2026-10-25T03:00:00.000Z',
      'api@2026-11-01T03:00:00.000Z',
    ]);
  });

  it('an ad hoc window cancelled early ends at the cancel; a later start is seen', () => {
    const clock = new SimulatedClock(at('2026-01-01T00:00:00Z'));
    const ended: string[] = [];
    const watch = new MaintenanceWatch(
      clock,
      () => ['api'],
      (s) => ended.push(`${s}@${iso(clock.now())}`),
    );
    const adhoc: MaintenanceWindow = {
      id: 'adhoc:1',
      name: 'adhoc-1',
      services: 'all',
      mode: 'hold',
      notify: false,
      reason: 'deploy',
      when: { kind: 'fixed', from: at('2026-01-01T01:00:00Z'), until: at('2026-01-01T03:00:00Z') },
    };
    watch.set([adhoc]);
    clock.advanceTo(at('2026-01-01T02:00:00Z'));
    expect(watch.at('api', clock.now())).toMatchObject({ id: 'adhoc:1', endsAt: at('2026-01-01T03:00:00Z') });
    watch.set([]);
    expect(ended).toEqual(['api@2026-01-01T02:00:00.000Z']);
    watch.close();
  });
});
