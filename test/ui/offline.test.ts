/**
 * Every page medic serves works without the internet: a real Chromium loads each one, and every
 * script, stylesheet, icon and image it names, and every request it makes, stays on medic's
 * origin and answers 200. GraphiQL renders from medic's own assets, runs a query with the
 * Authorization header the user typed, and remembers that header for the tab (sessionStorage).
 */
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { STATIC_PATHS } from '../../src/api/ui/assets.js';
import { type Harness, listen, startHarness } from '../api/harness.js';
import {
  type BrowserSession,
  describeBrowser,
  launchBrowser,
  outside,
  unexpected,
  watch,
} from '../helpers/browser.js';

let h: Harness;
let server: Awaited<ReturnType<typeof listen>>;
let session: BrowserSession;

/** Every same-document URL a page names in script/link/img elements (resolved by the browser). */
const namedUrls = (page: Page) =>
  page.evaluate(() => [
    ...[...document.querySelectorAll('script[src]')].map((e) => (e as HTMLScriptElement).src),
    ...[...document.querySelectorAll('link[href]')].map((e) => (e as HTMLLinkElement).href),
    ...[...document.querySelectorAll('img[src]')].map((e) => (e as HTMLImageElement).src),
  ]);

describeBrowser('pages medic serves, offline', () => {
  beforeAll(async () => {
    h = await startHarness();
    server = await listen(h.app);
    session = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await session?.close();
    await server?.close();
    await h?.close();
  });

  it.each(['/', '/graphql', '/go/api'])(
    '%s names and loads only same-origin URLs, each answering 200, with no console error',
    async (path) => {
      const page = await session.browser.newPage();
      const seen = watch(page);
      const statuses = new Map<string, number>();
      page.on('response', (r) => statuses.set(r.url(), r.status()));
      await page.goto(`${server.url}${path}`, { waitUntil: 'networkidle0' });
      const named = await namedUrls(page);
      expect(named.length).toBeGreaterThan(0);
      expect(outside(named, server.url)).toEqual([]);
      expect(outside(seen.requests, server.url)).toEqual([]);
      for (const url of named) {
        const res = await fetch(url);
        expect(res.status, url).toBe(200);
      }
      // Assets and documents: 200 (or a redirect / not-modified). The API itself answers GraphiQL's
      // token-less introspection with 401, which is not an asset.
      for (const [url, status] of statuses) {
        if (url.startsWith('data:') || (new URL(url).pathname === '/graphql' && status === 401)) continue;
        expect([200, 302, 304], url).toContain(status);
      }
      expect(unexpected(seen.errors)).toEqual([]);
      await page.close();
    },
    60_000,
  );

  it('serves every static asset with a type, an ETag and 304 on a match', async () => {
    for (const path of STATIC_PATHS) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status, path).toBe(200);
      const etag = res.headers.get('etag');
      expect(etag).toBeTruthy();
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect((await fetch(`${server.url}${path}`, { headers: { 'if-none-match': etag! } })).status).toBe(304);
    }
    expect((await fetch(`${server.url}/static/../package.json`)).status).toBe(404);
    expect((await fetch(`${server.url}/static/nope.js`)).status).toBe(404);
  });

  it('GraphiQL runs a query with the Authorization header the user typed and remembers it for the tab', async () => {
    const page = await session.browser.newPage();
    const seen = watch(page);
    await page.goto(`${server.url}/graphql`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('.graphiql-container');
    // The query editor: replace the welcome text with a query.
    const editors = await page.$$('.graphiql-editor .monaco-editor');
    expect(editors.length).toBeGreaterThan(0);
    await editors[0].click();
    await page.keyboard.down('Control');
    await page.keyboard.press('KeyA');
    await page.keyboard.up('Control');
    await page.keyboard.press('Backspace');
    await page.keyboard.type('{ services { name } ');
    // The headers tab: type the Authorization header.
    const [headersTab] = await page.$$('xpath/.//button[normalize-space()="Headers"]');
    await headersTab.click();
    const headerEditor = await page.waitForSelector(
      '.graphiql-editor-tool .graphiql-editor:not(.hidden) .monaco-editor',
      { visible: true },
    );
    await headerEditor!.click();
    await page.keyboard.down('Control');
    await page.keyboard.press('KeyA');
    await page.keyboard.up('Control');
    await page.keyboard.press('Backspace');
    await page.keyboard.type(`{"Authorization": "Bearer ${h.tokens.viewer}"`);
    const run = async () => {
      const response = page.waitForResponse(
        (r) => r.url().endsWith('/graphql') && r.request().method() === 'POST',
      );
      await page.click('.graphiql-execute-button');
      return response;
    };
    const first = await run();
    expect(first.status()).toBe(200);
    expect(first.request().headers().authorization).toBe(`Bearer ${h.tokens.viewer}`);
    // Remembered for the tab (sessionStorage; GraphiQL persists after a short debounce), never in localStorage.
    await page.waitForFunction(
      (token) => Object.values(sessionStorage).some((v) => v.includes(token)),
      { timeout: 10_000 },
      h.tokens.viewer,
    );
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    await page.reload({ waitUntil: 'networkidle0' });
    await page.waitForSelector('.graphiql-execute-button');
    const again = await run();
    expect(again.request().headers().authorization).toBe(`Bearer ${h.tokens.viewer}`);
    expect(await again.json()).toEqual({ data: { services: [{ name: 'api' }, { name: 'worker' }] } });
    expect(outside(seen.requests, server.url)).toEqual([]);
    expect(unexpected(seen.errors)).toEqual([]);
    await page.close();
  }, 90_000);
});
