/**
 * The status page's service cards, rendered on the server from one GraphQL query (the same
 * schema and roles every client uses). The buttons a card shows depend on the caller's role:
 * none for viewers; hold/release/approve/reset for operators; + force for admins. The API
 * enforces the roles again on every mutation; hiding buttons is only a courtesy.
 * Every text from the API is escaped by `html`.
 */

import { relative } from '../../core/relative.js';
import type { TokenRole } from '../../core/roles.js';
import { type Html, html } from './html.js';

export const CARD_FIELDS = `id node name unit state mode approvalPending
  churn { restartsInWindow windowSec maxRestarts totalRestarts blockedAttempts }
  cooldown { active until } circuit { state openedAt reopensAt } hold { actor reason until }
  maintenance { name mode endsAt reason }
  backoff { nextDelaySec } recommendedAction { code summary command runbookUrl }
  events(first: 5) { edges { node { at kind decision reason actor } } }`;

export interface CardService {
  /** `node/name`: unique across a fleet. */
  id: string;
  node: string;
  name: string;
  unit: string;
  state: string;
  mode: string;
  approvalPending: boolean;
  churn: {
    restartsInWindow: number;
    windowSec: number;
    maxRestarts: number;
    totalRestarts: number;
    blockedAttempts: number;
  };
  cooldown: { active: boolean; until: string | null };
  circuit: { state: string; openedAt: string | null; reopensAt: string | null };
  hold: { actor: string; reason: string; until: string } | null;
  maintenance?: { name: string; mode: string; endsAt: string; reason: string | null } | null;
  backoff: { nextDelaySec: number };
  recommendedAction: { code: string; summary: string; command: string; runbookUrl: string };
  events: {
    edges: {
      node: {
        at: string;
        kind: string;
        decision: string | null;
        reason: string | null;
        actor: string | null;
      };
    }[];
  };
}

/** A point in time as the page shows it (`data-until`: the script keeps it counting). */
export const when = (iso: string, now: number) =>
  html`<time datetime="${iso}" data-until="${iso}">${relative(iso, now)}</time>`;

/** Card element id for a service's `node/name` (any text: encoded so it is a valid, unique id). */
export const cardId = (id: string) => `svc-${encodeURIComponent(id)}`;

function button(action: string, label: string, s: CardService): Html {
  return html`<button type="button" data-action="${action}" data-service="${s.name}" data-node="${s.node}">${label}</button>`;
}

function buttons(s: CardService, role: TokenRole): Html {
  if (role === 'viewer') return html``;
  const list: Html[] = [];
  list.push(s.hold ? button('release', 'Release', s) : button('hold', 'Hold', s));
  if (s.approvalPending) list.push(button('approve', 'Approve probe restart', s));
  if (s.circuit.state !== 'closed') list.push(button('reset', 'Reset circuit', s));
  if (role === 'admin') list.push(button('force', 'Force restart', s));
  return html`<div class="actions">${list}</div>`;
}

function guards(s: CardService, now: number): Html {
  const rows: Html[] = [];
  const m = s.maintenance;
  if (m) {
    rows.push(
      html`<li class="maintenance">maintenance window <b>${m.name}</b> (${m.mode}) ends ${when(m.endsAt, now)}${m.reason ? html`: <q class="reason">${m.reason}</q>` : ''}</li>`,
    );
  }
  // A hold window's cooldown ends with the window, shown above.
  if (s.cooldown.active && !(m && m.mode === 'hold') && s.cooldown.until)
    rows.push(html`<li>cooldown ends ${when(s.cooldown.until, now)}</li>`);
  if (s.backoff.nextDelaySec > 0) rows.push(html`<li>next restart delay ${s.backoff.nextDelaySec}s</li>`);
  if (s.circuit.state !== 'closed') {
    rows.push(
      html`<li>circuit <b>${s.circuit.state}</b>${s.circuit.reopensAt ? html`, half-open ${when(s.circuit.reopensAt, now)}` : ''}</li>`,
    );
  }
  if (s.hold) {
    rows.push(
      html`<li class="hold">held by <b>${s.hold.actor}</b> until ${when(s.hold.until, now)}: <q class="reason">${s.hold.reason}</q></li>`,
    );
  }
  if (s.approvalPending) rows.push(html`<li class="pending">a probe restart awaits approval</li>`);
  return rows.length > 0 ? html`<ul class="guards">${rows}</ul>` : html``;
}

function decisions(s: CardService): Html {
  const edges = s.events.edges;
  if (edges.length === 0) return html`<p class="muted">no decisions yet</p>`;
  return html`<ol class="decisions">${edges.map(
    ({ node: e }) =>
      html`<li><time datetime="${e.at}">${e.at.slice(11, 19)}</time> <code>${e.decision ?? e.kind}</code>${e.actor ? html` by ${e.actor}` : ''}${e.reason ? html`: <span class="reason">${e.reason}</span>` : ''}</li>`,
  )}</ol>`;
}

/**
 * One service's card. `fleet` (the hub's page): the title is the service's `node/name`, a link
 * that focuses this card (`/?service=node/name`), since several nodes may run one name.
 */
export function renderCard(s: CardService, role: TokenRole, now: number, fleet = false): Html {
  const c = s.churn;
  const near = c.restartsInWindow >= c.maxRestarts ? 'over' : c.restartsInWindow > 0 ? 'some' : 'none';
  const title = fleet ? html`<a href="/?service=${encodeURIComponent(s.id)}">${s.id}</a>` : s.name;
  return html`<article class="card state-${s.state}" id="${cardId(s.id)}" data-id="${s.id}" data-node="${s.node}" data-service="${s.name}" data-state="${s.state}">
  <header><h2>${title}</h2> <span class="badge">${s.state}</span>${s.mode === 'shadow' ? html` <span class="badge shadow">shadow</span>` : ''} <small>${s.unit}</small></header>
  <p class="churn churn-${near}">restarts ${c.restartsInWindow} / ${c.maxRestarts} in ${c.windowSec}s · total ${c.totalRestarts} · blocked ${c.blockedAttempts}</p>
  ${guards(s, now)}
  <p class="recommended"><b>${s.recommendedAction.summary}</b><br><code>${s.recommendedAction.command}</code> · <a href="${s.recommendedAction.runbookUrl}">runbook</a></p>
  ${decisions(s)}
  ${buttons(s, role)}
</article>`;
}

export function renderCards(
  services: CardService[],
  principal: { name: string; role: TokenRole },
  now: number,
): Html {
  return html`<div id="cards" data-role="${principal.role}" data-principal="${principal.name}">
${services.length === 0 ? html`<p class="muted">medic supervises no services.</p>` : services.map((s) => renderCard(s, principal.role, now))}
</div>`;
}
