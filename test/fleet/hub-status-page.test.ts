/**
 * The status page at the fleet hub, in a real headless Chromium, against a real `medic hub` on a
 * real PostgreSQL and two real `medic serve` agents (process backend) shipping to it. node-a runs
 * `web` and `api`, node-b runs `web`: the page lists the nodes with their state and counts and
 * the cards titled and linked by `node/name`; a crash on node-a reaches its card live (graphql-ws
 * through the hub); an operator's hold on node-b's `web` runs on node-b's agent and leaves
 * node-a's alone; a viewer sees no button; node-b's agent stopping turns its entry `unreachable`
 * without a reload. A third node shipping 150 services over the real protocol makes the fleet
 * larger than one page: pages of 100, most urgent state first, filters by state and node, a card
 * on another page focused on request, live updates for the cards shown only. The page loads
 * nothing from outside the hub, and the hub serves GraphiQL from its own assets. The hub's
 * `/runbook` has a section per node and service, worded as that node's own `/runbook` words it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEVERITY } from '../../src/api/ui/fleet-query.js';
import { loadEnv } from '../../src/config/env.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { createHubToken } from '../../src/hub/tokens.js';
import { createLogger } from '../../src/log.js';
import {
  type BrowserSession,
  describeBrowser,
  launchBrowser,
  outside,
  unexpected,
  watch,
} from '../helpers/browser.js';
import { waitFor } from '../helpers/systemd.js';
import { tempDir } from '../watchdog/helpers.js';
import { type AgentProcess, FLEET_POLICY, startAgent } from './agent-process.js';
import { batch, gql, ship } from './hub-client.js';
import { freshDatabase, skipPg } from './pg.js';
import { syntheticView } from './synthetic-views.js';

const policy = FLEET_POLICY;
const sleeper = (name: string) => ({ name, python: 'import time; time.sleep(3600)', policy });
const pidFile = join(tempDir('hub-status-page'), 'api.pid');
const api = {
  name: 'api',
  python: `import os, time; open(${JSON.stringify(pidFile)}, 'w').write(str(os.getpid())); time.sleep(3600)`,
  policy,
};

async function signIn(page: Page, token: string): Promise<void> {
  await page.waitForSelector('#sign-in:not([hidden])');
  await page.type('#token', token);
  await page.click('#sign-in button[type=submit]');
  await page.waitForSelector('#cards');
  await page.waitForSelector('#live:not([hidden])');
}

const card = (id: string) => `article.card[data-id="${id}"]`;
const cardIds = (page: Page) =>
  page.$$eval('article.card', (els) => els.map((e) => e.getAttribute('data-id')));
const cardStates = (page: Page) =>
  page.$$eval('article.card', (els) => els.map((e) => e.getAttribute('data-state')));
const nodeList = (page: Page) =>
  page.$$eval('li.node', (els) =>
    els.map((e) => ({
      node: e.getAttribute('data-node'),
      state: e.getAttribute('data-node-state'),
      text: e.textContent,
    })),
  );
const filterCounts = (page: Page) =>
  page.$$eval('nav.states a', (els) =>
    Object.fromEntries(
      els.map((e) => [e.getAttribute('data-state-filter'), e.querySelector('b')?.textContent]),
    ),
  );
/** A link on the page: follow it, then wait until the new address's cards are rendered. */
async function follow(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
  await page.waitForFunction(() => document.body.dataset.rendered);
}
const cardText = (page: Page, id: string) => page.$eval(card(id), (el) => el.textContent ?? '');

(skipPg ? describe.skip : describeBrowser)(
  'the status page at the fleet hub (Chromium, real hub and agents)',
  () => {
    let hub: RunningHub;
    let session: BrowserSession;
    const agents = new Map<string, AgentProcess>();
    const tokens = { operator: '', viewer: '' };
    let beat: ReturnType<typeof setInterval> | undefined;

    beforeAll(async () => {
      const env = loadEnv({
        MEDIC_HUB_DATABASE_URL: await freshDatabase(),
        MEDIC_PORT: '0',
        MEDIC_HUB_COMMAND_WAIT_MS: '15000',
        MEDIC_HUB_SILENCE_SEC: '5',
        MEDIC_HUB_SWEEP_MS: '200',
      });
      hub = await startHub({ env, logger: createLogger('silent') });
      const db = hub.database.db;
      const now = Date.now();
      tokens.operator = await createHubToken(db, 'alice', 'operator', null, now);
      tokens.viewer = await createHubToken(db, 'grafana', 'viewer', null, now);
      for (const [node, service, more] of [
        ['node-a', sleeper('web'), [api]],
        ['node-b', sleeper('web'), []],
      ] as const) {
        const token = await createHubToken(db, `agent-${node}`, 'agent', node, now);
        agents.set(node, startAgent({ hubUrl: hub.url, token, node, service, more: [...more] }));
      }
      await waitFor(
        async () =>
          (await gql(hub.url, tokens.viewer, '{ services { id state } }')).data?.services?.filter(
            (s: { state: string }) => s.state === 'healthy',
          ).length === 3,
        60_000,
        200,
      ).catch((err) => {
        throw new Error(
          `${err.message}\n${[...agents.values()].map((a) => a.child.output().slice(-2000)).join('\n')}`,
        );
      });
      await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').length > 0, 10_000, 50);
      session = await launchBrowser();
    }, 90_000);
    afterAll(async () => {
      clearInterval(beat);
      await session?.close();
      for (const a of agents.values()) if (a.child.exitCode === null) a.child.kill('SIGKILL');
      await hub?.close().catch(() => {});
    });

    it('lists the nodes and the cards by node/name with counts per state, and shows a crash on node-a live', async () => {
      const page = await session.browser.newPage();
      const seen = watch(page);
      await page.goto(`${hub.url}/`, { waitUntil: 'networkidle0' });
      await signIn(page, tokens.operator);
      expect(await page.$eval('#who', (e) => e.textContent)).toBe('alice (operator)');
      expect(await nodeList(page)).toEqual([
        { node: 'node-a', state: 'connected', text: expect.stringContaining('2 healthy') },
        { node: 'node-b', state: 'connected', text: expect.stringContaining('1 healthy') },
      ]);
      expect(await filterCounts(page)).toEqual({ all: '3', attention: '0', healthy: '3' });
      expect(await cardIds(page)).toEqual(['node-a/api', 'node-a/web', 'node-b/web']);
      expect(await page.$eval('nav.pager', (e) => e.textContent)).toBe('services 1–3 of 3');
      expect(
        await page.$eval(`${card('node-b/web')} h2 a`, (a) => [a.textContent, a.getAttribute('href')]),
      ).toEqual(['node-b/web', '/?service=node-b%2Fweb']);
      // The recommended action's runbook link points at the hub's runbook.
      expect(await page.$eval(`${card('node-a/web')} .recommended a`, (a) => a.getAttribute('href'))).toMatch(
        new RegExp(`^${hub.url}/runbook#`),
      );
      expect(await cardText(page, 'node-a/api')).toContain('total 0');
      process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
      // No reload: the agent ships the crash, the hub's subscription says so, the card re-renders.
      await page.waitForFunction(
        () => document.querySelector('article.card[data-id="node-a/api"]')?.textContent?.includes('total 1'),
        { timeout: 30_000 },
      );
      expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(1);
      // A node/name link focuses that card.
      await page.goto(`${hub.url}/?service=node-b%2Fweb`, { waitUntil: 'networkidle0' });
      await page.waitForSelector(`${card('node-b/web')}.focus`);
      // A node's name opens that node alone.
      await page.click('li.node[data-node="node-a"] > a');
      await page.waitForFunction(() => location.search === '?node=node-a');
      await page.waitForSelector('#cards');
      expect(await page.$$eval('section.node', (els) => els.map((e) => e.getAttribute('data-node')))).toEqual(
        ['node-a'],
      );
      expect(await page.$$eval('article.card', (els) => els.map((e) => e.getAttribute('data-id')))).toEqual([
        'node-a/api',
        'node-a/web',
      ]);
      expect(outside(seen.requests, hub.url)).toEqual([]);
      expect(seen.errors).toEqual([]);
      await page.close();
    }, 90_000);

    it("holds node-b's web through node-b's agent and leaves node-a's web alone", async () => {
      const page = await session.browser.newPage();
      const seen = watch(page);
      await page.goto(`${hub.url}/`, { waitUntil: 'networkidle0' });
      await signIn(page, tokens.operator);
      await page.click(`${card('node-b/web')} button[data-action="hold"]`);
      await page.waitForSelector('#confirm[open]');
      expect(await page.$eval('#confirm-title', (e) => e.textContent)).toBe('Hold node-b/web?');
      await page.type('#reason', 'deploy <b>2</b>');
      await page.click('#confirm-ok');
      await page.waitForSelector('#confirm:not([open])', { timeout: 30_000 });
      await page.waitForSelector(`${card('node-b/web')}[data-state="held"]`, { timeout: 30_000 });
      expect(await page.$eval(`${card('node-b/web')} q.reason`, (e) => e.textContent)).toBe(
        'deploy <b>2</b>',
      );
      expect(await page.$eval(card('node-a/web'), (e) => e.getAttribute('data-state'))).toBe('healthy');
      // The agent's own audit log holds it, for the hub's operator.
      const events = await gql(
        hub.url,
        tokens.viewer,
        '{ events(node: "node-b", service: "web", kinds: [hold_set]) { edges { node { actor reason } } } }',
      );
      expect(events.data.events.edges).toEqual([{ node: { actor: 'hub:alice', reason: 'deploy <b>2</b>' } }]);
      await page.click(`${card('node-b/web')} button[data-action="release"]`);
      await page.waitForSelector('#confirm[open]');
      await page.type('#reason', 'done');
      await page.click('#confirm-ok');
      await page.waitForSelector(`${card('node-b/web')}:not([data-state="held"])`, { timeout: 30_000 });
      expect(outside(seen.requests, hub.url)).toEqual([]);
      expect(seen.errors).toEqual([]);
      await page.close();
    }, 90_000);

    it('shows a viewer every card and no button; an agent token reads no cards', async () => {
      const context = await session.browser.createBrowserContext();
      const page = await context.newPage();
      const seen = watch(page);
      await page.goto(`${hub.url}/`, { waitUntil: 'networkidle0' });
      await signIn(page, tokens.viewer);
      expect(await page.$$eval('article.card', (els) => els.map((e) => e.getAttribute('data-id')))).toEqual([
        'node-a/api',
        'node-a/web',
        'node-b/web',
      ]);
      expect(await page.$$('button[data-action]')).toHaveLength(0);
      expect(seen.errors).toEqual([]);
      await context.close();
      const agentToken = await createHubToken(hub.database.db, 'agent-x', 'agent', 'node-x', Date.now());
      const refused = await fetch(`${hub.url}/ui/services`, {
        headers: { authorization: `Bearer ${agentToken}` },
      });
      expect(refused.status).toBe(403);
      expect((await fetch(`${hub.url}/ui/services`)).status).toBe(401);
    }, 60_000);

    it("serves each node's per-service runbook sections, as that node's agent renders them", async () => {
      const md = await (await fetch(`${hub.url}/runbook.md`)).text();
      const ids = [...md.matchAll(/<a id="(service-[^"]+)"><\/a>/g)].map((m) => m[1]);
      // Nodes by name, each node's services in its contract's order.
      expect(ids).toEqual(['service-node-a--web', 'service-node-a--api', 'service-node-b--web']);
      const html = await (await fetch(`${hub.url}/runbook`)).text();
      for (const id of ids) expect(html).toContain(`id="${id}"`);
      expect(html).toContain(`href="${hub.url}/?service=node-b%2Fweb"`);
      // The same words as node-a's own /runbook for its api (only the anchor, title and link differ).
      const agentUrl = /medic serving on (http:\/\/[0-9.:]+)/.exec(agents.get('node-a')!.child.output())![1]!;
      const own = await (await fetch(`${agentUrl}/runbook.md`)).text();
      const section = (text: string, id: string) => {
        const from = text.indexOf(`<a id="${id}"></a>`);
        expect(from).toBeGreaterThan(-1);
        return text
          .slice(from, text.indexOf('<a id=', from + 1))
          .replace(/^<a id="[^"]+"><\/a>\n\n### .*\n/, '')
          .replace(/incident thread: \[[^\]]*\]\([^)]*\)/, 'incident thread: LINK');
      };
      const atHub = section(md, 'service-node-a--api');
      expect(atHub).toBe(section(own, 'service-api'));
      expect(atHub).toContain('-u api.service -n 200');
      expect(md).toContain('### node-a/api (api.service)');
    });

    it('pages a fleet larger than one page, most urgent first, by state and node, live for the cards shown', async () => {
      // node-c ships 150 services over the real protocol: 5 with an open circuit, 10 in cooldown.
      const token = await createHubToken(hub.database.db, 'agent-node-c', 'agent', 'node-c', Date.now());
      const now = Date.now();
      const names = Array.from({ length: 150 }, (_, k) => `s${String(k).padStart(3, '0')}`);
      const tag = (k: number) => (k < 5 ? 'circuit_open' : k < 15 ? 'cooldown' : 'healthy');
      const views = names.map((n, k) => syntheticView(n, tag(k), now));
      expect((await ship(hub.url, token, batch('node-c', null, [], views))).status).toBe(200);
      // Its heartbeat keeps it connected (no node_down re-render in the middle of the test).
      beat = setInterval(() => void ship(hub.url, token, batch('node-c', null)).catch(() => {}), 1000);
      const page = await session.browser.newPage();
      const seen = watch(page);
      await page.goto(`${hub.url}/`, { waitUntil: 'networkidle0' });
      await signIn(page, tokens.operator);
      const counts = await filterCounts(page);
      expect(counts).toMatchObject({ all: '153', circuit_open: '5' });
      const first = await cardIds(page);
      expect(first).toHaveLength(100);
      expect(first.slice(0, 5)).toEqual(names.slice(0, 5).map((n) => `node-c/${n}`));
      // Most urgent first: no card is in a more urgent state than the one before it.
      const rank = (state: string | null) => SEVERITY.indexOf(state as (typeof SEVERITY)[number]);
      const states = await cardStates(page);
      expect(states.map(rank)).toEqual([...states.map(rank)].sort((a, b) => a - b));
      expect(await page.$eval('nav.pager', (e) => e.textContent)).toBe('services 1–100 of 153 next page');
      // A live update reaches a card on this page; a change on another page is only counted.
      expect(first).not.toContain('node-c/s149');
      const event = {
        id: 1,
        at: Date.now(),
        service: 's000',
        kind: 'restart_decided',
        decision: 'restart',
        actor: null,
        reason: 'test',
      };
      const shipped = await ship(
        hub.url,
        token,
        batch('node-c', 0, [event], [syntheticView('s000', 'cooldown', Date.now())]),
      );
      expect(shipped.status).toBe(200);
      await page.waitForSelector(`${card('node-c/s000')}[data-state="cooldown"]`, { timeout: 30_000 });
      const elsewhere = { ...event, id: 2, at: Date.now(), service: 's149' };
      const later = await ship(
        hub.url,
        token,
        batch('node-c', 1, [elsewhere], [syntheticView('s149', 'cooldown', Date.now())]),
      );
      expect(later.status).toBe(200);
      await page.waitForSelector('#unseen:not([hidden])', { timeout: 30_000 });
      expect(await cardIds(page)).toHaveLength(100);
      expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(1);
      // The next page holds the rest, none twice — except s149: it left `healthy` for `cooldown`
      // after page 1 was read, so it now sorts before this page's position (keyset paging).
      await follow(page, 'nav.pager a[rel="next"]');
      const second = await cardIds(page);
      expect(second).toHaveLength(52);
      expect(new Set([...first, ...second]).size).toBe(152);
      expect(second).not.toContain('node-c/s149');
      expect(await page.$eval('nav.pager', (e) => e.textContent)).toBe(
        'services 101–152 of 153 first page previous page',
      );
      // Not healthy only: every card shown, and no healthy one.
      await follow(page, 'nav.states a[data-state-filter="attention"]');
      expect(await cardStates(page)).not.toContain('healthy');
      expect(await cardIds(page)).toHaveLength(Number((await filterCounts(page)).attention));
      // One node, one state: that node's section with its 4 open circuits left (s000 is in cooldown now).
      await page.goto(`${hub.url}/?node=node-c&state=circuit_open`, { waitUntil: 'networkidle0' });
      await page.waitForFunction(() => document.body.dataset.rendered);
      expect(await page.$$eval('section.node', (els) => els.map((e) => e.getAttribute('data-node')))).toEqual(
        ['node-c'],
      );
      expect(await cardIds(page)).toEqual(['node-c/s001', 'node-c/s002', 'node-c/s003', 'node-c/s004']);
      // A card on another page, asked for by its link, is shown first and focused.
      await page.goto(`${hub.url}/?service=node-c%2Fs148`, { waitUntil: 'networkidle0' });
      await page.waitForSelector(`${card('node-c/s148')}.focus`);
      expect((await cardIds(page))[0]).toBe('node-c/s148');
      // A query string that is not a page is refused with the reason.
      const bad = await fetch(`${hub.url}/ui/services?state=sleepy`, {
        headers: { authorization: `Bearer ${tokens.viewer}` },
      });
      expect(bad.status).toBe(400);
      expect(await bad.text()).toContain("unknown state filter 'sleepy'");
      expect(outside(seen.requests, hub.url)).toEqual([]);
      expect(seen.errors).toEqual([]);
      clearInterval(beat);
      await page.close();
    }, 90_000);

    it('pages back with "previous page" across states, and reads all cards\' recent events in one query', async () => {
      // node-d ships 256 services: d000-d005 with an open circuit, d006-d035 in cooldown, the rest
      // healthy; on node-d alone that is three pages (6 + 30 + 64 healthy, then 100, then 56).
      const token = await createHubToken(hub.database.db, 'agent-node-d', 'agent', 'node-d', Date.now());
      const now = Date.now();
      const names = Array.from({ length: 256 }, (_, k) => `d${String(k).padStart(3, '0')}`);
      const tag = (k: number) => (k < 6 ? 'circuit_open' : k < 36 ? 'cooldown' : 'healthy');
      const views = names.map((n, k) => syntheticView(n, tag(k), now));
      expect((await ship(hub.url, token, batch('node-d', null, [], views))).status).toBe(200);
      // d000 decided 7 times: its card shows the 5 newest.
      const decided = Array.from({ length: 7 }, (_, k) => ({
        id: k + 1,
        at: now + k,
        service: 'd000',
        kind: 'restart_decided',
        decision: 'restart',
        actor: null,
        reason: `decision ${k + 1}`,
      }));
      expect((await ship(hub.url, token, batch('node-d', 0, decided))).status).toBe(200);
      const beatD = setInterval(() => void ship(hub.url, token, batch('node-d', null)).catch(() => {}), 1000);
      try {
        // The cards of a page read their events with ONE statement (it was one per card). Counted
        // at the pool: statements that read fleet_events by service.
        const pool = hub.database.pool;
        const query = pool.query;
        const statements: string[] = [];
        pool.query = ((...args: Parameters<typeof query>) => {
          const q = args[0] as unknown;
          statements.push(typeof q === 'string' ? q : ((q as { text?: string })?.text ?? ''));
          return (query as (...a: unknown[]) => unknown).apply(pool, args);
        }) as typeof query;
        const fragment = await fetch(`${hub.url}/ui/services?node=node-d`, {
          headers: { authorization: `Bearer ${tokens.viewer}` },
        }).finally(() => {
          pool.query = query;
        });
        expect(fragment.status).toBe(200);
        const markup = await fragment.text();
        expect(markup.match(/<article class="card/g)).toHaveLength(100);
        const eventReads = statements.filter(
          (t) => t.includes('fleet_events') && /service"?\s*=\s*(\$\d+|k\.service)/.test(t),
        );
        expect(eventReads).toHaveLength(1);

        const page = await session.browser.newPage();
        const seen = watch(page);
        await page.goto(`${hub.url}/?node=node-d`, { waitUntil: 'networkidle0' });
        await signIn(page, tokens.operator);
        const first = await cardIds(page);
        expect(first).toHaveLength(100);
        expect(first.slice(0, 6)).toEqual(names.slice(0, 6).map((n) => `node-d/${n}`));
        const newest = await page.$$eval(`${card('node-d/d000')} .decisions .reason`, (els) =>
          els.map((e) => e.textContent),
        );
        expect(newest).toEqual(['decision 7', 'decision 6', 'decision 5', 'decision 4', 'decision 3']);
        const pager = () => page.$eval('nav.pager', (e) => e.textContent);
        expect(await pager()).toBe('services 1–100 of 256 next page');
        await follow(page, 'nav.pager a[rel="next"]');
        const second = await cardIds(page);
        expect(second).toEqual(names.slice(100, 200).map((n) => `node-d/${n}`));
        await follow(page, 'nav.pager a[rel="next"]');
        expect(await cardIds(page)).toEqual(names.slice(200).map((n) => `node-d/${n}`));
        expect(await pager()).toBe('services 201–256 of 256 first page previous page');
        // Back one page: the 100 just before, with the way on in both directions.
        await follow(page, 'nav.pager a[rel="prev"]');
        expect(await cardIds(page)).toEqual(second);
        expect(await pager()).toBe('services 101–200 of 256 first page previous page next page');
        // d250 turns cooldown (more urgent): 101 services now precede the second page, so the page
        // before it spans three states and still has one before it (d000).
        const moved = await ship(
          hub.url,
          token,
          batch('node-d', 7, [], [syntheticView('d250', 'cooldown', Date.now())]),
        );
        expect(moved.status).toBe(200);
        await follow(page, 'nav.pager a[rel="prev"]');
        expect(await cardIds(page)).toEqual(
          [...names.slice(1, 6), ...names.slice(6, 36), 'd250', ...names.slice(36, 100)].map(
            (n) => `node-d/${n}`,
          ),
        );
        expect(await page.$('nav.pager a[rel="prev"]')).not.toBeNull();
        // ... and before that, the first page (d000 and what follows it: a full first page).
        await follow(page, 'nav.pager a[rel="prev"]');
        expect((await cardIds(page)).slice(0, 2)).toEqual(['node-d/d000', 'node-d/d001']);
        expect(await cardIds(page)).toHaveLength(100);
        expect(await pager()).toBe('services 1–100 of 256 next page');
        expect(outside(seen.requests, hub.url)).toEqual([]);
        expect(seen.errors).toEqual([]);
        await page.close();
      } finally {
        clearInterval(beatD);
      }
    }, 90_000);

    it('serves GraphiQL from its own assets (the nav link works at the hub)', async () => {
      const page = await session.browser.newPage();
      const seen = watch(page);
      await page.goto(`${hub.url}/`, { waitUntil: 'networkidle0' });
      expect(await page.$eval('nav a[href="/graphql"]', (a) => a.textContent)).toBe('GraphiQL');
      await page.goto(`${hub.url}/graphql`, { waitUntil: 'networkidle0' });
      await page.waitForSelector('.graphiql-container');
      expect(outside(seen.requests, hub.url)).toEqual([]);
      // GraphiQL's own token-less introspection is refused (401); nothing else fails.
      expect(unexpected(seen.errors)).toEqual([]);
      // Only the page needs no token: a GET query without one is still refused.
      const query = await fetch(`${hub.url}/graphql?query=${encodeURIComponent('{ nodes { name } }')}`);
      expect(query.status).toBe(401);
      await page.close();
    }, 60_000);

    it("turns node-b's entry unreachable without a reload when its agent stops", async () => {
      const page = await session.browser.newPage();
      const seen = watch(page);
      await page.goto(`${hub.url}/`, { waitUntil: 'networkidle0' });
      await signIn(page, tokens.viewer);
      await page.waitForSelector('#live:not([hidden])');
      const b = agents.get('node-b')!;
      b.child.kill('SIGTERM');
      await page.waitForSelector('li.node[data-node="node-b"][data-node-state="unreachable"]', {
        timeout: 30_000,
      });
      expect(await page.$eval('li.node[data-node="node-a"]', (e) => e.getAttribute('data-node-state'))).toBe(
        'connected',
      );
      expect(await page.$eval('li.node[data-node="node-b"]', (e) => e.textContent)).toContain(
        'unreachable since',
      );
      expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(1);
      expect(outside(seen.requests, hub.url)).toEqual([]);
      expect(seen.errors).toEqual([]);
      await page.close();
    }, 60_000);
  },
);
