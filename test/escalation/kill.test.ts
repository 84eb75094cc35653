/**
 * Exactly one page after `kill -9`: a real `medic serve` child (process backend, no systemd
 * needed) opens a circuit, its PagerDuty trigger reaches a fake PagerDuty that holds the request
 * without answering, medic is killed with SIGKILL mid-delivery and started again on the same
 * database: the outbox redelivers, and PagerDuty sees one trigger (one dedup_key), answered once.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { openStore } from '../../src/store/sqlite.js';
import { FAST_POLICY, makeConda, medicChild, pythonVersion, sleep, tempDir } from '../watchdog/helpers.js';
import { fakeReceiver } from './fake-receiver.js';

const exited = (child: {
  exitCode: number | null;
  signalCode: string | null;
  once: (e: 'exit', f: () => void) => void;
}) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((r) => child.once('exit', r));

async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('escalation survives kill -9 of medic serve', () => {
  const dir = tempDir('escalation-kill');
  const children: ReturnType<typeof medicChild>[] = [];
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  it('a trigger in flight when medic is SIGKILLed is delivered after the restart, once by dedup_key', async () => {
    const pd = await fakeReceiver();
    try {
      const conda = makeConda(dir);
      const contract = join(dir, 'contract.yaml');
      writeFileSync(
        contract,
        stringify({
          version: 1,
          supervisor: { kind: 'process', scope: 'user' },
          conda: { root: conda.root, env: conda.env, python: pythonVersion() },
          services: [
            {
              name: 'config-broken',
              unit: 'config-broken.service',
              // EX_CONFIG at once: the circuit opens on the first exit (fatal_exit).
              command: ['python', '-c', 'import sys; sys.exit(78)'],
              policy: FAST_POLICY,
            },
          ],
          escalation: { pagerduty: { routingKeyEnv: 'PD_ROUTING_KEY' } },
        }),
      );
      const env = {
        MEDIC_DB: join(dir, 'medic.db'),
        MEDIC_PORT: '0',
        LOG_LEVEL: 'info',
        MEDIC_DRIFT_INTERVAL_SEC: '3600',
        MEDIC_PAGERDUTY_URL: `${pd.url}/v2/enqueue`,
        PD_ROUTING_KEY: 'test-routing-key',
        MEDIC_ESCALATION_RETRY_BASE_MS: '200',
        MEDIC_ESCALATION_TIMEOUT_MS: '60000',
      };
      pd.hold(true);
      const first = medicChild(['serve', '--contract', contract], env);
      children.push(first);
      await until('the trigger to reach PagerDuty', () => pd.received.length === 1);
      first.kill('SIGKILL');
      await exited(first);
      expect(first.signalCode).toBe('SIGKILL');

      pd.hold(false);
      const second = medicChild(['serve', '--contract', contract], env);
      children.push(second);
      await until('the redelivery', () => pd.received.length >= 2);
      await until('its escalation_sent event', () =>
        second.output().includes('escalation trigger delivered to pagerduty'),
      );
      second.kill('SIGTERM');
      await exited(second);

      const triggers = pd.received.filter((r) => r.body.event_action === 'trigger');
      expect(new Set(triggers.map((r) => r.body.dedup_key)).size).toBe(1);
      expect(triggers[0].body).toMatchObject({
        routing_key: 'test-routing-key',
        payload: { component: 'config-broken', severity: 'error' },
      });
      const store = openStore(env.MEDIC_DB);
      try {
        const sent = store.listEvents({ kinds: ['escalation_sent'] }).events;
        expect(sent).toHaveLength(1);
        expect(sent[0].data).toMatchObject({
          target: 'pagerduty',
          action: 'trigger',
          dedupKey: triggers[0].body.dedup_key,
        });
        expect(store.listEvents({ kinds: ['circuit_opened'] }).events).toHaveLength(1);
      } finally {
        store.close();
      }
    } finally {
      await pd.close();
    }
  });

  it('refuses to start (exit 2) when a secret the contract names is not set', async () => {
    const contract = join(dir, 'contract.yaml');
    const child = medicChild(['serve', '--contract', contract], {
      MEDIC_DB: join(dir, 'other.db'),
      MEDIC_PORT: '0',
      PD_ROUTING_KEY: '',
    });
    children.push(child);
    await exited(child);
    expect(child.exitCode).toBe(2);
    expect(child.output()).toMatch(/PD_ROUTING_KEY: not set/);
  });
});
