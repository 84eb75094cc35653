/**
 * The status page in a real headless Chromium on loopback, against `medic serve` supervising a
 * real (process-backend) Python service:
 * - time to first render: navigation start → the server-rendered cards are in the page (token
 *   already in sessionStorage), versus the same page's DOMContentLoaded (the shell alone);
 * - time to a live update after a crash: SIGKILL of the service → its card shows the restart,
 *   versus SIGKILL → the restart's event committed in medic (the part the page cannot beat).
 * Medians over a few rounds; Chromium and medic share the machine's 2 cores with everyone else.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateToken, hashToken } from '../src/api/http/auth.js';
import { launchBrowser } from '../test/helpers/browser.js';
import { waitFor } from '../test/helpers/systemd.js';
import { FAST_POLICY, serveInProcess, tempDir, writeContract } from '../test/watchdog/helpers.js';
import { report } from './report.js';

const ROUNDS = 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function run(): Promise<void> {
  const dir = tempDir('ui-bench');
  const pidFile = join(dir, 'web.pid');
  const script = join(dir, 'web.py');
  writeFileSync(
    script,
    `import os, time\nopen(${JSON.stringify(pidFile)}, 'w').write(str(os.getpid()))\ntime.sleep(600)\n`,
  );
  const contract = writeContract({
    dir,
    kind: 'process',
    // No cooldown or circuit in the way: every crash is restarted at once.
    policies: {
      fast: {
        ...FAST_POLICY,
        failureThreshold: 1,
        cooldownSec: 0.1,
        maxRestarts: 50,
        backoff: { initialSec: 0.1, factor: 1, maxSec: 0.1 },
      },
    },
    services: [{ name: 'web', unit: 'web.service', command: ['python', script], policy: 'fast' }],
  });
  const server = await serveInProcess(contract, dir, { LOG_LEVEL: 'warn' });
  const token = generateToken();
  server.store.createToken('bench', 'operator', hashToken(token), Date.now());
  const session = await launchBrowser();
  try {
    const page = await session.browser.newPage();
    await page.evaluateOnNewDocument((t) => sessionStorage.setItem('medic.token', t), token);
    const render: number[] = [];
    const shell: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      await page.goto(`${server.url}/`, { waitUntil: 'domcontentloaded' });
      await page.waitForFunction(() => document.body.dataset.rendered, { timeout: 30_000 });
      const t = await page.evaluate(() => ({
        rendered: Number(document.body.dataset.rendered),
        dcl: (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming)
          .domContentLoadedEventEnd,
      }));
      render.push(t.rendered);
      shell.push(t.dcl);
    }
    report({
      bench: 'ui',
      metric: `status page: first render of cards (median of ${ROUNDS})`,
      value: median(render),
      unit: 'ms',
      baseline: { name: 'shell DOMContentLoaded', value: median(shell) },
    });

    await page.waitForSelector('#live:not([hidden])');
    const live: number[] = [];
    const committed: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      await waitFor(() => readFileSync(pidFile, 'utf8').length > 0, 10_000, 20);
      const pid = Number(readFileSync(pidFile, 'utf8'));
      writeFileSync(pidFile, '');
      const before = await page.$eval(
        'article[data-service="web"]',
        (e) => /total (\d+)/.exec(e.textContent ?? '')?.[1],
      );
      let commitAt = 0;
      const off = server.engine.subscribe((e) => {
        if (e.service === 'web' && e.kind === 'restart_decided' && !commitAt) commitAt = Date.now();
      });
      const changed = page.waitForFunction(
        (n) =>
          /total (\d+)/.exec(
            document.querySelector('article[data-service="web"]')?.textContent ?? '',
          )?.[1] !== n,
        { timeout: 30_000, polling: 'mutation' },
        before,
      );
      const start = Date.now();
      process.kill(pid, 'SIGKILL');
      await changed;
      live.push(Date.now() - start);
      committed.push(commitAt - start);
      off();
    }
    report({
      bench: 'ui',
      metric: `crash → card updated live (median of ${ROUNDS})`,
      value: median(live),
      unit: 'ms',
      baseline: { name: 'crash → event committed', value: median(committed) },
    });
  } finally {
    await session.close();
    await server.close();
  }
}
