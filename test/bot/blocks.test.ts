import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blocksSize, fitBlocks, LIMITS, MESSAGE_BUDGET } from '../../bot/blocks/budget.js';
import { parseTtl } from '../../bot/blocks/format.js';
import { incidentMessage } from '../../bot/blocks/incident.js';
import { homeView, statusMessage } from '../../bot/blocks/status.js';
import type { ServiceWithApproval } from '../../bot/graphql/ops.js';
import { blockKitProblem } from './fake-slack.js';

function service(i: number, over: Partial<ServiceWithApproval> = {}): ServiceWithApproval {
  const name = `svc-${String(i).padStart(4, '0')}-${'x'.repeat(i % 40)}`;
  return {
    name,
    unit: `${name}.service`,
    state: i % 3 === 0 ? 'circuit_open' : i % 3 === 1 ? 'held' : 'healthy',
    mode: 'enforce',
    approvalPending: i % 3 === 0,
    churn: {
      restartsInWindow: 3,
      windowSec: 600,
      maxRestarts: 3,
      totalRestarts: 9,
      blockedAttempts: 4,
      circuitOpens: 2,
      lastRestartAt: '2026-01-01T12:00:00.000Z',
    },
    cooldown: { active: false, until: null },
    circuit: {
      state: i % 3 === 0 ? 'open' : 'closed',
      openedAt: '2026-01-01T12:00:00.000Z',
      reopensAt: '2026-01-01T12:15:00.000Z',
    },
    hold:
      i % 3 === 1
        ? { actor: 'slack:U0OPS', reason: 'deploying'.repeat(i % 50), until: '2026-01-01T14:00:00.000Z' }
        : null,
    recommendedAction: {
      code: i % 3 === 2 ? 'none' : 'inspect_and_approve',
      summary: `inspect journalctl -u ${name}, then approve one probe restart or hold`,
      command: `journalctl -u ${name}.service -n 200`,
      runbookUrl: 'https://medic.example.com/runbook#circuit-open',
    },
    lastDecision: null,
    ...over,
  };
}

describe('Block Kit budget', () => {
  it('keeps /medic status for 2000 services inside 50 blocks and 12k characters, saying what it left out', () => {
    const services = Array.from({ length: 2000 }, (_, i) => service(i));
    const msg = statusMessage(services, 'UTC');
    expect(msg.blocks.length).toBeLessThanOrEqual(LIMITS.messageBlocks);
    expect(blocksSize(msg.blocks)).toBeLessThanOrEqual(LIMITS.messageChars);
    expect(blockKitProblem(msg.blocks)).toBeNull();
    expect(msg.dropped).toBeGreaterThan(0);
    expect(JSON.stringify(msg.blocks.at(-1))).toContain(`${msg.dropped} more not shown`);
    expect(msg.text.length).toBeGreaterThan(0);
    expect(msg.text.length).toBeLessThanOrEqual(LIMITS.fallbackText);
  });

  it('keeps the App Home view for 1000 services inside 100 blocks', () => {
    const services = Array.from({ length: 1000 }, (_, i) => service(i));
    const view = homeView(
      services,
      (s) => ({ approve: s.approvalPending ? `pa-${s.name}` : undefined, block: 'pb' }),
      'UTC',
    );
    expect(view.blocks.length).toBeLessThanOrEqual(LIMITS.viewBlocks);
    expect(blockKitProblem(view.blocks, 100)).toBeNull();
  });

  it('fits any list of oversized sections: never more than the budget, never a section over 3000 chars', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 5000 }), { maxLength: 120 }),
        fc.integer({ min: 2, max: 50 }),
        fc.integer({ min: 600, max: 12_000 }),
        (texts, maxBlocks, maxChars) => {
          const blocks = texts.map((t) => ({
            type: 'section' as const,
            text: { type: 'mrkdwn' as const, text: t || '.' },
          }));
          const out = fitBlocks(blocks, '', { maxBlocks, maxChars });
          expect(out.blocks.length).toBeLessThanOrEqual(maxBlocks);
          expect(blockKitProblem(out.blocks)).toBeNull();
          expect(out.text.length).toBeGreaterThan(0);
          if (out.dropped === 0) expect(out.blocks.length).toBe(blocks.length);
          else expect(out.blocks.length + out.dropped).toBe(blocks.length + 1);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps the buttons of a drift incident with 500 findings and fits the rest', () => {
    const findings = Array.from({ length: 500 }, (_, i) => ({
      source: 'systemd',
      service: 'api',
      field: `Environment[${i}]`,
      expected: 'x'.repeat(400),
      actual: 'y'.repeat(400),
      severity: 'error',
      fix: 'medic contract render && systemctl --user daemon-reload',
    }));
    const msg = incidentMessage({
      kind: 'drift_detected',
      service: 'api',
      info: service(0, { name: 'api' }),
      happened: 'drift',
      at: 0,
      findings,
      status: [],
      resolved: false,
      pending: { approve: 'pa1', block: 'pb1' },
      runbookUrl: 'https://medic.example.com/runbook#drift',
      timeZone: 'UTC',
    });
    expect(msg.blocks.length).toBeLessThanOrEqual(MESSAGE_BUDGET.maxBlocks);
    expect(blocksSize(msg.blocks)).toBeLessThanOrEqual(MESSAGE_BUDGET.maxChars);
    expect(msg.blocks.at(-1)?.type).toBe('actions');
    expect(JSON.stringify(msg.blocks)).toContain('more not shown');
  });
});

describe('parseTtl', () => {
  it('reads 30m, 2h, 1h30m, 45s and 1d', () => {
    expect(parseTtl('30m')).toBe(1800);
    expect(parseTtl('2h')).toBe(7200);
    expect(parseTtl('1h30m')).toBe(5400);
    expect(parseTtl('45s')).toBe(45);
    expect(parseTtl('1d')).toBe(86400);
  });
  it('refuses garbage, zero and trailing junk', () => {
    for (const bad of ['', 'abc', '0m', '30', '2h!', 'h', '30m x']) expect(parseTtl(bad)).toBeNull();
  });
});
