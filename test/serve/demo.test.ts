import { expect, it } from 'vitest';
import { medicChild, tempDir } from '../watchdog/helpers.js';

it('the demo shows a crash, a restart, cooldown/backoff skips and the circuit opening within 30 s', async () => {
  const data = tempDir('demo');
  const child = medicChild(['demo', '--duration', '28', '--data', data], { MEDIC_PORT: '0' });
  await new Promise((r) => child.once('exit', r));
  const out = child.output();
  expect(child.exitCode).toBe(0);
  expect(out).toMatch(/RESTART\s+The service crashed \(exit 3\)/);
  expect(out).toMatch(/SKIP (cooldown|backoff)/);
  expect(out).toMatch(/CIRCUIT OPEN .*reached maxRestarts 3/);
  expect(out.indexOf('RESTART')).toBeLessThan(out.indexOf('CIRCUIT OPEN'));
  expect(out).toMatch(/final state of flaky: circuit_open/);
}, 60_000);
