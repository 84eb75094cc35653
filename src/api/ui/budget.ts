/**
 * The status page's fleet restart budget section (issue 16), rendered on the server from
 * `budgetGroups` (the same type on an agent and at the hub): one row per group with restarts in
 * flight and used in the window against their limits, how many services wait and as of when,
 * then the waiting services of each group, oldest first (at most `MAX_WAITERS` per group, the
 * rest counted with the command that lists them all). No group (no policy names `budget`):
 * empty markup, so the page shows no section. Every text from the API is escaped by `html`.
 */
import { ago } from '../../core/relative.js';
import type { BudgetGroupRow } from '../schema/shared/budget-query.js';
import { type Html, html } from './html.js';

/** Waiting services shown per group; the rest are counted. */
export const MAX_WAITERS = 20;

export type BudgetGroupView = BudgetGroupRow;

const num = (n: number | null) => (n === null ? '?' : String(n));
const timeAgo = (iso: string, now: number) =>
  html`<time datetime="${iso}" data-since="${iso}">${ago(iso, now)}</time>`;

function waiters(g: BudgetGroupView, now: number, fleet: boolean): Html {
  if (g.waitingServices.length === 0) return html``;
  const shown = g.waitingServices.slice(0, MAX_WAITERS);
  const more = g.waitingServices.length - shown.length;
  return html`<div class="budget-waiters" data-group="${g.name}"><h3>${g.name}: waiting, oldest first</h3>
<ol>${shown.map(
    (w) =>
      html`<li data-id="${w.node}/${w.service}">${w.position === null ? '' : html`<b>#${w.position}</b> `}${fleet ? `${w.node}/${w.service}` : w.service} waiting since ${timeAgo(w.since, now)}</li>`,
  )}</ol>${more > 0 ? html`<p class="muted">and ${more} more: <code>medic budget ${g.name}</code></p>` : ''}</div>`;
}

/**
 * The section's markup (`fleet`: the hub, whose numbers are the fleet's now; otherwise an agent,
 * whose numbers are the hub's last answer and whose waiters are its own services).
 */
export function renderBudget(groups: BudgetGroupView[], now: number, fleet: boolean): Html {
  if (groups.length === 0) return html``;
  const rows = groups.map((g) => {
    const full = g.inFlight !== null && g.inFlight >= g.maxConcurrent;
    const asOf = g.heardAt ? timeAgo(g.heardAt, now) : 'the hub has not answered yet';
    return html`<tr data-group="${g.name}" class="${full ? 'full' : ''}"><th scope="row">${g.name}</th><td class="in-flight">${num(g.inFlight)} / ${g.maxConcurrent}</td><td class="used">${num(g.usedInWindow)} / ${g.maxPerWindow} in ${g.windowSec}s</td><td class="waiting">${num(g.waiting)}</td><td class="as-of">${asOf}</td></tr>`;
  });
  const scope = fleet ? 'the whole fleet, now' : "as the hub last answered; waiting: this node's services";
  return html`<section id="budget-groups" class="budget" data-groups="${groups.length}">
<h2>Fleet restart budget <small class="muted">(${scope})</small></h2>
<table><thead><tr><th scope="col">group</th><th scope="col">in flight</th><th scope="col">used in window</th><th scope="col">waiting</th><th scope="col">as of</th></tr></thead>
<tbody>${rows}</tbody></table>
${groups.map((g) => waiters(g, now, fleet))}
</section>`;
}
