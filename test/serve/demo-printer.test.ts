import { expect, it } from 'vitest';
import type { AuditEvent } from '../../src/core/audit.js';
import { demoPrinter } from '../../src/serve/demo-printer.js';

const event = (over: Partial<AuditEvent>): AuditEvent => ({
  id: 1,
  at: Date.UTC(2026, 0, 1, 12),
  service: 'flaky',
  kind: 'restart_blocked',
  decision: 'skip_circuit_open',
  taken: false,
  input: { type: 'probe_failed' },
  actor: 'medic',
  reason: 'Probe failed 3 times in a row; restart refused.',
  stateFrom: 'circuit_open',
  stateTo: 'circuit_open',
  counters: { restartsInWindow: 3, totalRestarts: 3, blockedAttempts: 1, circuitOpens: 1 },
  effects: [],
  mode: 'enforce',
  data: null,
  ...over,
});

it('shows refusals that were only counted as one condensed line, from the counters', () => {
  const lines: string[] = [];
  const p = demoPrinter((l) => lines.push(l));
  p.event(event({})); // the first refusal of the episode: printed in full
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain('SKIP circuit');
  p.poll([{ name: 'flaky', churn: { blockedAttempts: 7 } }]); // six repeats, no event written
  expect(lines.at(-1)).toBe('          … flaky: refused 6 more time(s) the same way');
  p.poll([{ name: 'flaky', churn: { blockedAttempts: 7 } }]); // nothing new: nothing printed
  expect(lines).toHaveLength(2);
  // The episode's summary event: its repeats print as the condensed line, not as a full line.
  p.event(
    event({
      id: 2,
      counters: { restartsInWindow: 3, totalRestarts: 3, blockedAttempts: 10, circuitOpens: 1 },
      data: { summary: true, count: 9 },
    }),
  );
  expect(lines.at(-1)).toBe('          … flaky: refused 3 more time(s) the same way');
  // The event that ends the episode prints after the repeats counted before it.
  p.event(
    event({
      id: 3,
      kind: 'circuit_half_open',
      decision: 'circuit_half_open',
      stateTo: 'half_open',
      counters: { restartsInWindow: 3, totalRestarts: 3, blockedAttempts: 12, circuitOpens: 1 },
    }),
  );
  expect(lines.slice(-2)).toEqual([
    '          … flaky: refused 2 more time(s) the same way',
    expect.stringContaining('HALF-OPEN'),
  ]);
});
