/**
 * The fleet restart budget in Slack at the hub (issue 16: "a denied restart is recorded once per
 * episode as skip_fleet_budget with the group's numbers and a recommended action"). At fleet
 * scale a storm denies thousands of services at once, so the hub speaks per *group*, not per
 * service: one incident (hub_incidents `budget:<group>`) while the group has services waiting,
 * with the group's numbers (in flight / used in the window against the limits, how many wait,
 * the oldest waiting services) and the recommended action; the message is updated with the
 * numbers at most every `UPDATE_EVERY_MS` (Slack's chat.update limits), and resolved — a thread
 * note and the final numbers — once nothing waits. Read from the lease table (`groupViews`) by
 * the Slack leader each round; no event walk, so a new leader simply continues from the rows.
 */
import { and, eq, isNull, like } from 'drizzle-orm';
import { hubIncidents } from '../../db/pg/schema.js';
import type { Clock } from '../clock/clock.js';
import { type GroupView, groupViews } from './budget.js';
import type { HubDb } from './db.js';
import { type SlackTarget, slackCall } from './slack-api.js';

/** The shortest gap between two updates of one group's message. */
export const UPDATE_EVERY_MS = 30_000;
const OLDEST_SHOWN = 5;

export const budgetIncidentKey = (group: string) => `budget:${group}`;

/** The incident's text for a group now (pure; `open`: something waits). */
export function budgetText(g: GroupView, now: number, open: boolean): string {
  const l = g.limits;
  const numbers =
    `${g.inFlight}/${l.maxConcurrent} in flight, ${g.usedInWindow}/${l.maxPerWindow} used in ${l.windowSec}s, ` +
    `${g.waiting} waiting`;
  if (!open) return `:white_check_mark: [resolved] fleet budget *${g.group}*: nothing waits (${numbers}).`;
  const oldest = g.waitingServices
    .slice(0, OLDEST_SHOWN)
    .map((w) => `${w.node}/${w.service} (${Math.round((now - w.since) / 1000)}s)`)
    .join(', ');
  const first = g.waitingServices[0];
  const force = first ? `\`medic force ${first.service} --node ${first.node} --reason …\`` : '`medic force`';
  return (
    `:hourglass_flowing_sand: fleet budget *${g.group}*: restarts waiting for a lease — ${numbers}.\n` +
    `Oldest waiting: ${oldest}${g.waitingServices.length > OLDEST_SHOWN ? ', …' : ''}.\n` +
    `*Recommended:* restarts run in turn, oldest first; nothing to do while the shared dependency recovers. ` +
    `See the line with \`medic budget ${g.group}\`. If the wait is too long once it is healthy, raise ` +
    `\`maxConcurrent\` in the group's policy, or restart one service yourself: ${force} (never waits; counted, audited).`
  );
}

export interface BudgetIncidentDeps {
  db: HubDb;
  clock: Clock;
  slack: SlackTarget;
  leading: () => boolean;
}

/** One round: opens, updates or resolves each group's incident. `updated`: per group, last update. */
export async function postBudgetIncidents(
  deps: BudgetIncidentDeps,
  updated: Map<string, number>,
): Promise<void> {
  const { db, clock, slack } = deps;
  const now = clock.now();
  const open = await db
    .select()
    .from(hubIncidents)
    .where(and(like(hubIncidents.key, 'budget:%'), isNull(hubIncidents.resolvedAt)));
  const byKey = new Map(open.map((r) => [r.key, r]));
  for (const g of await groupViews(db, now)) {
    if (!deps.leading()) return;
    const key = budgetIncidentKey(g.group);
    const row = byKey.get(key);
    const waits = g.waiting > 0;
    if (!row && waits) {
      const text = budgetText(g, now, true);
      const posted = await slackCall(slack, clock, 'chat.postMessage', { channel: slack.channel, text });
      const values = { channel: slack.channel, ts: posted.ts!, openedAt: now, resolvedAt: null, text };
      await db
        .insert(hubIncidents)
        .values({ key, ...values })
        .onConflictDoUpdate({ target: hubIncidents.key, set: values });
      updated.set(g.group, now);
    } else if (row && !waits) {
      const text = budgetText(g, now, false);
      const after = Math.round((now - row.openedAt) / 1000);
      await slackCall(slack, clock, 'chat.postMessage', {
        channel: row.channel,
        thread_ts: row.ts,
        text: `:large_green_circle: every waiting service of *${g.group}* got its lease (after ${after}s).`,
      });
      await slackCall(slack, clock, 'chat.update', { channel: row.channel, ts: row.ts, text });
      await db.update(hubIncidents).set({ resolvedAt: now, text }).where(eq(hubIncidents.key, key));
      updated.delete(g.group);
    } else if (row && now - (updated.get(g.group) ?? row.openedAt) >= UPDATE_EVERY_MS) {
      const text = budgetText(g, now, true);
      if (text !== row.text) {
        await slackCall(slack, clock, 'chat.update', { channel: row.channel, ts: row.ts, text });
        await db.update(hubIncidents).set({ text }).where(eq(hubIncidents.key, key));
      }
      updated.set(g.group, now);
    }
  }
}
