/**
 * A real headless Chromium (Debian `chromium`) driven by puppeteer-core, for the pages medic
 * serves. Each launch gets a fresh profile and every background feature that could reach the
 * network is off; pages may load nothing from outside (the tests check every request).
 *
 * `describeBrowser` skips without Chromium, unless MEDIC_REQUIRE_SYSTEMD=1 (CI), where a missing
 * browser is a failure (`.ci/run` installs `chromium`).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { describe, it } from 'vitest';

export const CHROMIUM = process.env.MEDIC_CHROMIUM ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);

export function describeBrowser(name: string, body: () => void): void {
  if (available) describe(name, body);
  else if (process.env.MEDIC_REQUIRE_SYSTEMD === '1') {
    describe(name, () => {
      it('needs Chromium (MEDIC_REQUIRE_SYSTEMD=1)', () => {
        throw new Error(`${CHROMIUM} not found: apt-get install chromium`);
      });
    });
  } else describe.skip(`${name} [skipped: no ${CHROMIUM}]`, body);
}

export interface BrowserSession {
  browser: Browser;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<BrowserSession> {
  const profile = await mkdtemp(join(tmpdir(), 'medic-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

export interface Watched {
  /** Console errors, uncaught page errors and failed requests, as text. */
  errors: string[];
  /** Every URL the page requested (documents, scripts, styles, XHR/fetch, WebSocket, workers). */
  requests: string[];
}

/** Records what a page does so a test can assert no errors and no outside request. */
export function watch(page: Page): Watched {
  const w: Watched = { errors: [], requests: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') w.errors.push(`console: ${m.text()} (${m.location().url ?? ''})`);
  });
  page.on('pageerror', (err) => w.errors.push(`pageerror: ${(err as Error).message ?? err}`));
  page.on('requestfailed', (r) => {
    // A navigation away or a closing page cancels in-flight requests; that is not a page error.
    if (r.failure()?.errorText !== 'net::ERR_ABORTED')
      w.errors.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('request', (r) => w.requests.push(r.url()));
  return w;
}

/**
 * Errors other than the browser's own "Failed to load resource: 401" for /graphql: GraphiQL
 * introspects before the user has typed a token, and the API refuses that (by design).
 */
export function unexpected(errors: string[]): string[] {
  return errors.filter((e) => !/status of 401 .*\/graphql\)$/.test(e));
}

/** URLs that are not on `origin` (data: and blob: stay inside the page; about:blank too). */
export function outside(urls: string[], origin: string): string[] {
  return urls.filter((u) => {
    if (/^(data|blob|about):/.test(u)) return false;
    const url = new URL(u);
    const httpOrigin = url.protocol === 'ws:' ? `http://${url.host}` : url.origin;
    return httpOrigin !== origin;
  });
}
