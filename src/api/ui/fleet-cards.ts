/**
 * The hub's status page for one page of the fleet (fleet-page.ts): the counts per state as
 * filter links (`/?state=…`, keeping the node), the nodes that need a look first (unreachable,
 * then most services not healthy; at most NODE_LIST_MAX, the rest reachable by name with the
 * node form), the page's cards titled `node/name`, and the pager. Filtered to one node
 * (`/?node=NAME`), the node's own section holds the cards. Links are plain page links: the
 * script renders what the address says. Every text is escaped by `html`.
 */
import { relative } from '../../core/relative.js';
import type { TokenRole } from '../../core/roles.js';
import { renderCard, when } from './cards.js';
import type { FleetNode, FleetPage } from './fleet-page.js';
import { FLEET_PAGE_SIZE, type FleetQuery, SEVERITY, statesOf } from './fleet-query.js';
import { type Html, html } from './html.js';

export const NODE_LIST_MAX = 50;

const link = (q: { node?: string | null; state?: string; after?: string; before?: string; at?: number }) => {
  const p = new URLSearchParams();
  if (q.node) p.set('node', q.node);
  if (q.state && q.state !== 'all') p.set('state', q.state);
  if (q.after) p.set('after', q.after);
  if (q.before) p.set('before', q.before);
  if (q.at) p.set('at', String(q.at));
  const s = p.toString();
  return s ? `/?${s}` : '/';
};

const notHealthy = (n: FleetNode) => n.counts.reduce((a, c) => a + (c.state === 'healthy' ? 0 : c.count), 0);
const countsText = (n: FleetNode) =>
  n.counts.length === 0 ? 'no services shipped' : n.counts.map((c) => `${c.count} ${c.state}`).join(' · ');

function filters(page: FleetPage, q: FleetQuery): Html {
  const total = [...page.counts.values()].reduce((a, b) => a + b, 0);
  const entries: [string, string, number][] = [
    ['all', 'all', total],
    ['attention', 'not healthy', total - (page.counts.get('healthy') ?? 0)],
    ...SEVERITY.filter((s) => page.counts.has(s)).map((s): [string, string, number] => [
      s,
      s,
      page.counts.get(s)!,
    ]),
  ];
  return html`<nav class="states" aria-label="filter by state">${entries.map(
    ([state, label, n]) =>
      html`<a href="${link({ node: q.node, state })}" data-state-filter="${state}"${state === q.filter ? html` aria-current="page"` : ''}>${label} <b>${n}</b></a> `,
  )}</nav>`;
}

function nodeItem(n: FleetNode, now: number): Html {
  const since = n.downSince ? html`, unreachable since ${when(n.downSince, now)}` : '';
  return html`<li class="node node-${n.state}" data-node="${n.name}" data-node-state="${n.state}"><a href="${link({ node: n.name })}">${n.name}</a> <span class="badge">${n.state}</span> <small>last seen <time datetime="${n.lastSeenAt}">${relative(n.lastSeenAt, now)}</time>${since} · ${countsText(n)}</small></li>`;
}

/** Unreachable nodes first, then by services not healthy (most first), then by name. */
function nodeList(nodes: FleetNode[], now: number): Html {
  const ranked = [...nodes].sort(
    (a, b) =>
      Number(b.state === 'unreachable') - Number(a.state === 'unreachable') ||
      notHealthy(b) - notHealthy(a) ||
      (a.name < b.name ? -1 : 1),
  );
  const shown = ranked.slice(0, NODE_LIST_MAX);
  const down = nodes.filter((n) => n.state === 'unreachable').length;
  return html`<section class="nodes"><h2>${nodes.length} nodes <small>${nodes.length - down} connected · ${down} unreachable</small></h2>
  <ul class="node-list">${shown.map((n) => nodeItem(n, now))}</ul>
  ${ranked.length > shown.length ? html`<p class="muted">${ranked.length - shown.length} more nodes not listed (fewer services not healthy).</p>` : ''}
  <form method="get" action="/" class="node-form"><label>Node <input name="node" required maxlength="200"></label> <button type="submit">Show</button></form>
</section>`;
}

/** First, previous and next page links; `at` counts the cards before this page (0 on the first). */
function pager(page: FleetPage, q: FleetQuery): Html {
  const states = statesOf(q.filter);
  const total = states.reduce((a, s) => a + (page.counts.get(s) ?? 0), 0);
  const at = page.prev ? q.at : 0;
  const range = page.services.length === 0 ? '0' : `${at + 1}–${at + page.services.length}`;
  const here = { node: q.node, state: q.filter };
  const first = page.prev ? html` <a href="${link(here)}" data-page="first">first page</a>` : '';
  const prev = page.prev
    ? html` <a href="${link({ ...here, before: page.prev, at: Math.max(0, at - FLEET_PAGE_SIZE) })}" rel="prev" data-page="prev">previous page</a>`
    : '';
  const next = page.next
    ? html` <a href="${link({ ...here, after: page.next, at: at + page.services.length })}" rel="next" data-page="next">next page</a>`
    : '';
  return html`<nav class="pager">services <b>${range}</b> of <b>${total}</b>${first}${prev}${next}</nav>`;
}

export function renderFleetPage(
  page: FleetPage,
  q: FleetQuery,
  principal: { name: string; role: TokenRole },
  now: number,
): Html {
  const cards =
    page.services.length === 0
      ? html`<p class="muted">no service${q.filter === 'all' ? '' : ' in this state'}.</p>`
      : page.services.map((s) => renderCard(s, principal.role, now, true));
  const node = q.node ? page.nodes[0] : undefined;
  const body = q.node
    ? node
      ? html`<section class="node node-${node.state}" id="node-${encodeURIComponent(node.name)}" data-node="${node.name}" data-node-state="${node.state}">
  <header><h2><a href="${link({ node: node.name })}">${node.name}</a></h2> <span class="badge">${node.state}</span> <small>last seen <time datetime="${node.lastSeenAt}">${relative(node.lastSeenAt, now)}</time>${node.downSince ? html`, unreachable since ${when(node.downSince, now)}` : ''}</small> · <a href="/">all nodes</a></header>
  <div class="node-cards page-cards">${cards}</div>
</section>`
      : html`<p class="muted">no node named ${q.node} has shipped to this hub. <a href="/">all nodes</a></p>`
    : page.nodes.length === 0
      ? html`<p class="muted">no node has shipped to this hub yet.</p>`
      : html`${nodeList(page.nodes, now)}<div class="page-cards">${cards}</div>`;
  return html`<div id="cards" class="fleet" data-fleet="1" data-role="${principal.role}" data-principal="${principal.name}" data-filter-node="${q.node ?? ''}" data-filter-state="${q.filter}">
${filters(page, q)}
${body}
${pager(page, q)}
</div>`;
}
