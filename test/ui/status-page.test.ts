/**
 * The status page at `/` in a real headless Chromium against `medic serve` supervising a real
 * (process-backend) Python service: it loads with no console error and nothing from outside,
 * a crash of the service shows up live (graphql-ws subscription → card re-rendered), a viewer
 * sees no buttons, an operator holds and releases with a reason and a confirmation, and an
 * HTML-looking reason is shown as text. `/go/<service>` lands on that service's card.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateToken, hashToken } from '../../src/api/http/auth.js';
import type { RunningServe } from '../../src/serve/serve.js';
import { type BrowserSession, describeBrowser, launchBrowser, outside, watch } from '../helpers/browser.js';
import { waitFor } from '../helpers/systemd.js';
import { FAST_POLICY, serveInProcess, tempDir, writeContract } from '../watchdog/helpers.js';

const dir = tempDir('status-page');
const pidFile = join(dir, 'web.pid');
let server: RunningServe;
let session: BrowserSession;
const tokens = { viewer: generateToken(), operator: generateToken() };

async function signIn(page: Page, token: string): Promise<void> {
  await page.waitForSelector('#sign-in:not([hidden])');
  await page.type('#token', token);
  await page.click('#sign-in button[type=submit]');
  await page.waitForSelector('#cards');
  await page.waitForSelector('#live:not([hidden])');
}

const cardText = (page: Page, name: string) =>
  page.$eval(`article[data-service="${name}"]`, (el) => el.textContent ?? '');

async function act(page: Page, service: string, action: string, reason: string): Promise<void> {
  await page.click(`article[data-service="${service}"] button[data-action="${action}"]`);
  await page.waitForSelector('#confirm[open]');
  await page.type('#reason', reason);
  await page.click('#confirm-ok');
  await page.waitForSelector('#confirm:not([open])');
}

describeBrowser('the status page in Chromium', () => {
  beforeAll(async () => {
    const script = join(dir, 'web.py');
    writeFileSync(
      script,
      `import os, time\nopen(${JSON.stringify(pidFile)}, 'w').write(str(os.getpid()))\ntime.sleep(600)\n`,
    );
    const contract = writeContract({
      dir,
      kind: 'process',
      policies: { fast: { ...FAST_POLICY, failureThreshold: 1 } },
      services: [
        { name: 'web', unit: 'web.service', command: ['python', script], policy: 'fast' },
        { name: 'idle', unit: 'idle.service', command: ['python', '-c', 'import time; time.sleep(600)'] },
      ],
    });
    server = await serveInProcess(contract, dir);
    const now = Date.now();
    server.store.createToken('ops', 'operator', hashToken(tokens.operator), now);
    server.store.createToken('dash', 'viewer', hashToken(tokens.viewer), now);
    session = await launchBrowser();
    await waitFor(() => readFileSync(pidFile, 'utf8').length > 0, 10_000, 50).catch(() => {});
  }, 60_000);
  afterAll(async () => {
    await session?.close();
    await server?.close();
  });

  it('shows a crash of the real service live, with no console error and nothing from outside', async () => {
    const page = await session.browser.newPage();
    const seen = watch(page);
    await page.goto(`${server.url}/`, { waitUntil: 'networkidle0' });
    await signIn(page, tokens.operator);
    expect(await page.$eval('#who', (e) => e.textContent)).toBe('ops (operator)');
    expect(await cardText(page, 'web')).toContain('total 0');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    process.kill(pid, 'SIGKILL');
    // No reload: the card changes because the subscription said so.
    await page.waitForFunction(
      () => document.querySelector('article[data-service="web"]')?.textContent?.includes('total 1'),
      { timeout: 20_000 },
    );
    expect(await cardText(page, 'web')).toMatch(/restart/);
    expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(1);
    expect(outside(seen.requests, server.url)).toEqual([]);
    expect(seen.errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('lets an operator hold and release with a reason, showing an HTML-looking reason as text', async () => {
    const page = await session.browser.newPage();
    const seen = watch(page);
    await page.goto(`${server.url}/`, { waitUntil: 'networkidle0' });
    await signIn(page, tokens.operator);
    const reason = '<img src=x onerror="window.pwned=1"><b>deploy</b>';
    await act(page, 'idle', 'hold', reason);
    await page.waitForSelector('article[data-service="idle"][data-state="held"]');
    const card = 'article[data-service="idle"]';
    expect(await page.$eval(`${card} q.reason`, (e) => e.textContent)).toBe(reason);
    expect(await page.$$(`${card} img, ${card} b:not(:empty) + b`)).toHaveLength(0);
    expect(await page.$$(`${card} img`)).toHaveLength(0);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(await cardText(page, 'idle')).toContain('held by ops');
    // Cancel asks nothing of the API; confirming without a reason is refused in the dialog.
    await page.click(`${card} button[data-action="release"]`);
    await page.waitForSelector('#confirm[open]');
    await page.click('#confirm-cancel');
    await page.waitForSelector('#confirm:not([open])');
    expect(await page.$eval(card, (e) => e.getAttribute('data-state'))).toBe('held');
    await act(page, 'idle', 'release', 'deploy done');
    await page.waitForSelector('article[data-service="idle"]:not([data-state="held"])');
    expect(await page.$(`${card} button[data-action="hold"]`)).not.toBeNull();
    const events = server.store
      .listEvents({ service: 'idle', first: 10 })
      .events.map((e) => [e.kind, e.actor, e.reason]);
    expect(events).toContainEqual(['hold_set', 'ops', reason]);
    expect(events).toContainEqual(['hold_released', 'ops', 'deploy done']);
    expect(seen.errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('shows a viewer every card and no button', async () => {
    const context = await session.browser.createBrowserContext();
    const page = await context.newPage();
    const seen = watch(page);
    await page.goto(`${server.url}/`, { waitUntil: 'networkidle0' });
    await signIn(page, tokens.viewer);
    expect(
      await page.$$eval('article.card', (els) => els.map((e) => e.getAttribute('data-service'))),
    ).toEqual(['web', 'idle']);
    expect(await page.$$('button[data-action]')).toHaveLength(0);
    // The token is in this tab's sessionStorage only: no cookie, nothing in the URL.
    expect(await page.cookies()).toEqual([]);
    expect(page.url()).not.toContain(tokens.viewer);
    expect(seen.errors).toEqual([]);
    await context.close();
  }, 60_000);

  it('lands /go/<service> on that card when Slack is off, and refuses a bad token', async () => {
    const context = await session.browser.createBrowserContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/go/idle`, { waitUntil: 'networkidle0' });
    expect(new URL(page.url()).search).toBe('?service=idle');
    await page.waitForSelector('#sign-in:not([hidden])');
    await page.type('#token', 'medic_not-a-token');
    await page.click('#sign-in button[type=submit]');
    await page.waitForFunction(() =>
      document.querySelector('#sign-in-error')?.textContent?.includes('refused'),
    );
    await page.type('#token', tokens.viewer);
    await page.click('#sign-in button[type=submit]');
    await page.waitForSelector('article.card.focus[data-service="idle"]');
    await context.close();
  }, 60_000);
});
