/** Slack incidents link the Alertmanager alert an event came from (issue 17). */
import { describe, expect, it } from 'vitest';
import { incidentMessage } from '../../bot/blocks/incident.js';
import { alertLinkOf, threadNote } from '../../bot/incidents/notes.js';
import { fromRecord, toRecord } from '../../bot/incidents/persist.js';
import type { MedicEvent } from '../../bot/types.js';

const event = (generatorURL: unknown, name: unknown = 'ApiWedged'): MedicEvent =>
  ({
    id: '7',
    at: Date.UTC(2026, 0, 1, 12, 0),
    service: 'api',
    kind: 'restart_decided',
    decision: 'restart',
    actor: 'alertmanager',
    reason: 'alert ApiWedged firing',
    stateFrom: 'healthy',
    stateTo: 'restarting',
    data: { source: 'alertmanager', alert: { name, generatorURL } },
  }) as MedicEvent;

describe('alert links in Slack', () => {
  it('takes only plain http(s) generator URLs (nothing that could break out of a Slack link)', () => {
    expect(alertLinkOf(event('http://prom.test/graph?g0.expr=up%3D%3D0'))).toEqual({
      name: 'ApiWedged',
      url: 'http://prom.test/graph?g0.expr=up%3D%3D0',
    });
    for (const bad of ['javascript:alert(1)', 'http://x|<!channel>', 'http://x y', '', 42, null]) {
      expect(alertLinkOf(event(bad))).toBeUndefined();
    }
    expect(alertLinkOf({ ...event('http://p'), data: null } as MedicEvent)).toBeUndefined();
  });

  it('thread notes and the parent message link the alert; the name is escaped', () => {
    const e = event('https://prom.test/g', 'A<b>&');
    expect(threadNote(e, 'UTC')).toContain('(<https://prom.test/g|alert A&lt;b&gt;&amp;>)');
    const msg = incidentMessage({
      kind: 'circuit_opened',
      service: 'api',
      info: null,
      happened: 'x',
      at: e.at,
      status: [],
      resolved: false,
      pending: {},
      runbookUrl: null,
      timeZone: 'UTC',
      alert: alertLinkOf(e),
    });
    expect(JSON.stringify(msg.blocks)).toContain('Alert: <https://prom.test/g|A&lt;b&gt;&amp;>');
  });

  it('the link survives a bot restart (saved with the incident)', () => {
    const inc = {
      key: 'api#7',
      slot: 'api',
      service: 'api',
      kind: 'circuit_opened',
      happened: 'x',
      at: 1,
      alert: { name: 'ApiWedged', url: 'http://prom.test/g' },
      channel: 'C1',
      ts: '1.1',
      status: [],
      resolved: false,
      quiet: false,
      openedAt: 1,
      lastEventId: 7,
    };
    expect(fromRecord(toRecord(inc, 2))?.alert).toEqual(inc.alert);
  });
});
