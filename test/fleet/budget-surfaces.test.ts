/**
 * The fleet restart budget where operators look (issue 16: "status page/Slack/CLI show each
 * group: in flight, used in window, waiting services"), against a real hub on PostgreSQL and a
 * real `medic serve` agent (budget-scene.ts) whose service waits while another node holds the
 * group's only slot:
 * - the status page of the hub and of the agent, in a real headless Chromium: a budget section
 *   with the group's numbers against its limits and the waiting service (oldest first), updated
 *   without a reload when the slot frees; nothing loaded from outside the server;
 * - `medic status` against either: one summary line per group under the table;
 * - the hub's Slack (fake Slack Web API at the wire): one message for the group with its numbers
 *   and the recommended action, resolved in place once nothing waits.
 */
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../bot/fake-slack.js';
import { type BrowserSession, describeBrowser, launchBrowser, outside, watch } from '../helpers/browser.js';
import { runMedic } from '../helpers/cli.js';
import { waitFor } from '../helpers/systemd.js';
import { type BudgetScene, startBudgetScene } from './budget-scene.js';
import { gql } from './hub-client.js';
import { skipPg } from './pg.js';

async function openPage(session: BrowserSession, url: string, token: string) {
  const page = await session.browser.newPage();
  const seen = watch(page);
  await page.goto(`${url}/`, { waitUntil: 'networkidle0' });
  await page.waitForSelector('#sign-in:not([hidden])');
  await page.type('#token', token);
  await page.click('#sign-in button[type=submit]');
  await page.waitForSelector('#cards');
  await page.waitForSelector('#live:not([hidden])');
  return { page, seen };
}

const row = (page: Page) =>
  page.$eval('#budget-groups tr[data-group="views"]', (tr) =>
    [...tr.querySelectorAll('th, td')].slice(0, 4).map((c) => c.textContent),
  );

(skipPg ? describe.skip : describeBrowser)(
  'the fleet budget on the status pages, in medic status and in the hub’s Slack',
  () => {
    let scene: BudgetScene;
    let session: BrowserSession;
    const slack = new FakeSlack();

    beforeAll(async () => {
      await slack.start();
      scene = await startBudgetScene(`budget-surfaces-${process.pid}`, {
        SLACK_BOT_TOKEN: 'xoxb-hub-test',
        SLACK_SIGNING_SECRET: 'hub-signing-secret-for-tests',
        SLACK_CHANNEL: 'C0FLEET01',
        SLACK_API_URL: slack.apiUrl,
        MEDIC_HUB_LEADER_RETRY_MS: '100',
      });
      session = await launchBrowser();
    }, 90_000);
    afterAll(async () => {
      await session?.close();
      await scene?.close();
      await slack.close();
    });

    it('shows the waiting service with its group’s numbers, then the slot freeing, live', async () => {
      const hub = await openPage(session, scene.hub.url, scene.atHub.MEDIC_TOKEN);
      const agent = await openPage(session, scene.atAgent.MEDIC_URL, scene.atAgent.MEDIC_TOKEN);
      // The agent knows its group before the hub ever answered for it; the hub knows no group yet.
      await agent.page.waitForSelector('#budget-groups');
      expect(await row(agent.page)).toEqual(['views', '? / 1', '? / 100 in 300s', '?']);
      expect(await agent.page.$eval('#budget-groups .as-of', (e) => e.textContent)).toBe(
        'the hub has not answered yet',
      );
      expect(await hub.page.$('#budget-groups')).toBeNull();

      await scene.fill();
      scene.crash();
      await waitFor(
        async () =>
          (await gql(scene.hub.url, scene.atHub.MEDIC_TOKEN, '{ budgetGroups { waiting } }')).data
            ?.budgetGroups?.[0]?.waiting === 1,
        30_000,
        100,
      );
      // Both pages follow without a reload (an event, or the 5 s refresh of the section).
      await hub.page.waitForSelector('#budget-groups li[data-id="node-a/api"]', { timeout: 15_000 });
      expect(await row(hub.page)).toEqual(['views', '1 / 1', '1 / 100 in 300s', '1']);
      expect(await hub.page.$eval('li[data-id="node-a/api"]', (e) => e.textContent)).toMatch(
        /^#1 node-a\/api waiting since (just now|\d+s ago)$/,
      );
      await agent.page.waitForSelector('#budget-groups li[data-id="node-a/api"]', { timeout: 15_000 });
      expect(await row(agent.page)).toEqual(['views', '1 / 1', '1 / 100 in 300s', '1']);
      expect(await agent.page.$eval('li[data-id="node-a/api"]', (e) => e.textContent)).toMatch(
        /^#1 api waiting since (just now|\d+s ago)$/,
      );

      for (const env of [scene.atHub, scene.atAgent]) {
        const status = await runMedic(['status'], { env });
        expect(status.code).toBe(0);
        expect(status.out).toMatch(
          /\n\nfleet restart budget:\n {2}views: 1\/1 in flight, 1\/100 used in 300s, 1 waiting \(as of (just now|\d+s ago)\) — see `medic budget views`\n$/,
        );
      }

      // The hub's Slack: one message for the group, with its numbers and the recommended action.
      const posted = await slack.waitFor(
        () => slack.of('chat.postMessage').find((c) => String(c.args.text).includes('fleet budget *views*')),
        15_000,
      );
      const text = String(posted.args.text);
      expect(text).toContain('1/1 in flight, 1/100 used in 300s, 1 waiting');
      expect(text).toMatch(/Oldest waiting: node-a\/api \(\d+s\)/);
      expect(text).toContain('*Recommended:* restarts run in turn, oldest first');
      expect(text).toContain('`medic budget views`');
      expect(text).toContain('`medic force api --node node-a --reason …`');

      // The slot frees: the service gets its lease; the pages and Slack say nothing waits.
      await scene.free();
      for (const { page } of [hub, agent]) {
        await page
          .waitForFunction(
            () =>
              document.querySelector('#budget-groups tr[data-group="views"] .waiting')?.textContent === '0',
            { timeout: 20_000, polling: 200 },
          )
          .catch(async (err) => {
            const section = await page.$eval('#budget', (e) => e.textContent);
            const error = await page.$eval('#error', (e) => e.textContent);
            const signIn = await page.$eval('#sign-in', (e) => (e as HTMLElement).hidden);
            throw new Error(
              `${err.message}; ${page.url()} (hub ${scene.hub.url}) shows: ${section}; error: ${error}; sign-in hidden: ${signIn}`,
            );
          });
        expect(await page.$('#budget-groups li')).toBeNull();
      }
      const resolved = await slack.waitFor(
        () =>
          slack
            .of('chat.update')
            .find((c) => String(c.args.text).includes('[resolved] fleet budget *views*')),
        15_000,
      );
      // The same message, updated in place; its thread says the group's wait is over.
      const thread = slack
        .of('chat.postMessage')
        .find((c) => String(c.args.text).includes('every waiting service of *views*'));
      expect(thread?.args.thread_ts).toBe(resolved.args.ts);
      expect(
        slack.of('chat.postMessage').filter((c) => String(c.args.text).includes('fleet budget *views*')),
      ).toHaveLength(1);

      for (const [{ seen }, url] of [
        [hub, scene.hub.url],
        [agent, scene.atAgent.MEDIC_URL],
      ] as const) {
        expect(seen.errors).toEqual([]);
        expect(outside(seen.requests, url)).toEqual([]);
      }
    }, 120_000);
  },
);
