/**
 * Longer than ~200 lines on purpose: the runbook's sections are prose data in document order.
 *
 * The runbook as a document model (sections with stable anchors and blocks), built once and
 * rendered to Markdown or HTML (render.ts), so both formats carry the same anchors and words.
 */

import type { Contract, ContractService, SupervisorScope } from '../contract/types.js';
import type { Policy } from '../core/policy.js';
import { runbookAnchor } from '../core/runbook-anchors.js';
import { DECISION_CODES, type Effect, RECOMMENDED_ACTION_CODES } from '../core/types.js';
import { type PolicySet, policyOf } from '../rollout/policy-set.js';
import { journalctlCommand, systemctlCommand } from '../systemd/scope.js';
import { alertBlocks } from './alerts.js';
import type { Block, RunbookDoc, Section } from './doc.js';
import { ALERTS_ESCALATION_ID, escalationBlocks } from './escalation.js';
import { NODE_DOWN_ID, nodeDownBlocks } from './node-down.js';
import { recoveryBlocks, STORE_RECOVERY_ID } from './recovery.js';
import { decisionTable } from './table.js';
import { ACTION_TEXTS, DECISION_TEXTS } from './texts.js';
import { policyInWords } from './words.js';

export type { Block, RunbookDoc, Section } from './doc.js';

export interface RunbookModelInput {
  contract: Pick<Contract, 'services'> & Partial<Pick<Contract, 'file' | 'supervisor'>>;
  /** The active policy set; a service it lacks uses the contract's policy. */
  policies: PolicySet;
  /** Shown in the header: which contract and policy version this was rendered from. */
  source?: { contract?: string; version?: number | null };
  /** Base of `/go/<service>` links (MEDIC_PUBLIC_URL); relative links when absent. */
  publicUrl?: string;
  /**
   * The fleet hub: every node's per-service sections, from what its agent shipped
   * (`runbookServices`), after the contract's own (empty at the hub). Anchors are
   * `service-<node>--<name>`, unique per node and service; links focus the hub's card.
   */
  fleet?: RunbookNode[];
}

/** What one service's runbook section says: resolved once, on the agent, from contract + policies. */
export interface RunbookService {
  name: string;
  unit: string;
  /** The active policy's name (`inline:<service>` for a policy written in the service). */
  policyName: string;
  policy: Policy;
  health: { url: string; intervalSec: number; timeoutMs: number } | null;
}

/** One node's sections at the hub: its systemd scope and its services, as its agent shipped them. */
export interface RunbookNode {
  node: string;
  scope: SupervisorScope;
  services: RunbookService[];
}

export const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

const code = (s: string) => `\`${s}\``;
const actionLink = (c: string) => `[${c}](#${runbookAnchor(c as never)})`;

function effectText(e: Effect[]): string {
  if (e.length === 0) return '—';
  return e
    .map((x) => {
      switch (x.type) {
        case 'restart':
          return `restart (${x.initiator}${x.probe ? ', probe' : ''})`;
        case 'stop':
          return `stop (${x.reason})`;
        case 'request_budget':
          return `request_budget (${x.operator ? 'operator, counted' : 'lease'})`;
        default:
          return `finish_budget (${x.outcome})`;
      }
    })
    .join(', ');
}

function policyNameOf(set: PolicySet, svc: ContractService): string {
  return set.services[svc.name] ?? svc.policyName ?? `inline:${svc.name}`;
}

function effectivePolicy(set: PolicySet, svc: ContractService): Policy {
  return policyOf(set, svc.name) ?? svc.policy;
}

/** The services' sections' sources: each service with its effective policy under the active set. */
export function runbookServices(contract: Pick<Contract, 'services'>, policies: PolicySet): RunbookService[] {
  return contract.services.map((svc) => ({
    name: svc.name,
    unit: svc.unit,
    policyName: policyNameOf(policies, svc),
    policy: effectivePolicy(policies, svc),
    health: svc.health
      ? { url: svc.health.url, intervalSec: svc.health.intervalSec, timeoutMs: svc.health.timeoutMs }
      : null,
  }));
}

function serviceSection(
  svc: RunbookService,
  scope: SupervisorScope,
  at: { id: string; title: string; go: string },
): Section {
  const journalctl = journalctlCommand(scope);
  const systemctl = systemctlCommand(scope);
  const u = svc.unit;
  return {
    id: at.id,
    title: at.title,
    level: 3,
    blocks: [
      {
        kind: 'p',
        text:
          `Policy ${code(svc.policyName)}. Health: ` +
          (svc.health
            ? `${code(svc.health.url)} every ${svc.health.intervalSec} s (timeout ${svc.health.timeoutMs} ms).`
            : 'systemd unit state only (no HTTP probe).') +
          ` Pending actions and the incident thread: [${at.go}](${at.go}).`,
      },
      { kind: 'list', items: policyInWords(svc.policy) },
      {
        kind: 'code',
        text: [
          `${journalctl} -u ${u} -n 200`,
          `${systemctl} status ${u}`,
          `${systemctl} show ${u} -p NRestarts,ExecMainStatus,Result,ExecStart`,
          'medic contract check',
        ].join('\n'),
      },
    ],
  };
}

function serviceSections(input: RunbookModelInput): Section[] {
  const base = input.publicUrl?.replace(/\/+$/, '') ?? '';
  const scope = input.contract.supervisor?.scope ?? 'system';
  const own = runbookServices(input.contract, input.policies).map((svc) =>
    serviceSection(svc, scope, {
      id: `service-${slug(svc.name)}`,
      title: `${svc.name} (${svc.unit})`,
      go: `${base}/go/${svc.name}`,
    }),
  );
  // A slug never holds `--` (runs of other characters become one `-`): node and name stay apart.
  const fleet = (input.fleet ?? []).flatMap((n) =>
    n.services.map((svc) =>
      serviceSection(svc, n.scope, {
        id: `service-${slug(n.node)}--${slug(svc.name)}`,
        title: `${n.node}/${svc.name} (${svc.unit})`,
        go: `${base}/?service=${encodeURIComponent(`${n.node}/${svc.name}`)}`,
      }),
    ),
  );
  return [...own, ...fleet];
}

function operatorCommands(): Block[] {
  return [
    {
      kind: 'list',
      items: [
        'Slack: `/medic status <service>`, `/medic approve <service> [reason]`, `/medic block <service> 30m [reason]`, ' +
          '`/medic release <service> [reason]`, or the Approve / Block buttons on the incident message (each asks to confirm).',
        'GraphQL (operator token): `approveRestart`, `holdService`, `releaseService`, `forceRestart`; `resetCircuit` ' +
          '(see below). Every command is audited with your identity and reason.',
      ],
    },
    {
      kind: 'code',
      text: [
        'mutation { approveRestart(name: "<service>", reason: "config fixed") { __typename } }',
        'mutation { holdService(name: "<service>", ttlSec: 3600, reason: "investigating") { __typename } }',
        'mutation { releaseService(name: "<service>", reason: "fix deployed") { __typename } }',
        'mutation { forceRestart(name: "<service>", reason: "known-good restart") { __typename } }',
        'mutation { resetCircuit(name: "<service>", reason: "root cause fixed") { __typename } }',
      ].join('\n'),
    },
  ];
}

function actionSections(): Section[] {
  return RECOMMENDED_ACTION_CODES.map((c) => {
    const t = ACTION_TEXTS[c];
    return {
      id: runbookAnchor(c),
      title: `${code(c)} — ${t.title}`,
      level: 3,
      blocks: [
        { kind: 'p', text: t.meaning },
        { kind: 'list', items: t.steps },
        {
          kind: 'p',
          text:
            'Approve / block / release: Slack `/medic approve|block|release <service>` or the incident buttons; GraphQL ' +
            '`approveRestart` / `holdService` / `releaseService` ([operator commands](#operator-commands)); ' +
            'the link `/go/<service>` opens the pending action.',
        },
      ],
    };
  });
}

function tableSections(set: PolicySet, services: ContractService[]): Section[] {
  const byPolicy = new Map<string, { policy: Policy; services: string[] }>();
  for (const svc of services) {
    const name = policyNameOf(set, svc);
    const entry = byPolicy.get(name) ?? { policy: effectivePolicy(set, svc), services: [] };
    entry.services.push(svc.name);
    byPolicy.set(name, entry);
  }
  const out: Section[] = [];
  for (const [name, { policy, services: names }] of [...byPolicy].sort(([a], [b]) => a.localeCompare(b))) {
    out.push({
      id: `decision-table-${slug(name)}`,
      title: `Policy ${code(name)} (${names.join(', ')})`,
      level: 3,
      blocks: [],
    });
    for (const g of decisionTable(policy)) {
      out.push({
        id: `decision-table-${slug(name)}-${g.key}`,
        title: `From ${code(g.state)}: ${g.how}`,
        level: 4,
        blocks: !g.reachable
          ? [
              {
                kind: 'p',
                text: 'Not reachable this way under this policy; see the other policies or medic’s defaults.',
              },
            ]
          : [
              {
                kind: 'table',
                head: [
                  'input',
                  'decision (reason code)',
                  'taken',
                  'next state',
                  'effects',
                  'recommended action',
                ],
                rows: g.rows.map((r) => [
                  code(r.input.label),
                  `[${r.decision}](#${runbookAnchor(r.decision)})`,
                  r.taken ? 'yes' : 'no',
                  code(r.next),
                  effectText(r.effects),
                  actionLink(r.action),
                ]),
              },
            ],
      });
    }
  }
  return out;
}

function rolloutBlocks(): { policy: Block[]; rollback: Block[]; contract: Block[] } {
  return {
    policy: [
      {
        kind: 'p',
        text:
          'Policy changes never switch silently: a changed contract keeps the active version running (serve logs a ' +
          'warning and /readyz says so) until the change passes the gate.',
      },
      {
        kind: 'list',
        items: [
          '**Diff**: `medic policy diff contract.yaml` — key by key against the active version (exit 1 when different).',
          '**Dry run**: `medic policy apply contract.yaml --days 7` — validates (exit 2 with every problem), replays the ' +
            'last 7 days of recorded inputs of every affected service under the active and the candidate policy and prints ' +
            'restarts added/avoided, circuits opened/avoided, blocked attempts and the first diverging input. Nothing is activated.',
          'Optionally run it in **shadow** first (`mode: shadow`), then compare: `medic policy report --service <service> --days 3`.',
          '**Apply**: `medic policy apply contract.yaml --reason "why" --yes` — a new numbered version, audited ' +
            '`policy_applied`; the running `medic serve` switches within seconds, state and counters carry over.',
          '**Watch**: `/medic status`, the events (`policy_applied`, then restarts and blocked attempts), Grafana.',
        ],
      },
    ],
    rollback: [
      {
        kind: 'list',
        items: [
          '`medic policy rollback --reason "why"` reactivates the previous version (`--to N` for a given one; ' +
            '`--list` shows them), audited `policy_rolled_back`; serve follows within seconds.',
          'GraphQL (admin): `rollbackPolicy(to: N, reason: "…")`; `applyPolicy(content: …, reason: …, dryRun: true)` is the dry run.',
        ],
      },
    ],
    contract: [
      {
        kind: 'list',
        items: [
          '**Render**: `medic contract render --out deploy/rendered` — a drop-in per unit and `runtime.env`.',
          '**Install**: copy each `<unit>.d/medic-runtime.conf` into `/etc/systemd/system/<unit>.d/` (user scope: ' +
            '`~/.config/systemd/user/<unit>.d/`).',
          '**Reload**: `systemctl daemon-reload` (`--user` for user scope), then restart the changed units.',
          '**Check**: `medic contract check || exit 1` — the deploy gate (exit 1 drift, 2 invalid contract).',
          'Policies in the contract go through the policy gate above; regenerate this runbook with `medic runbook`.',
        ],
      },
    ],
  };
}

export function buildRunbook(input: RunbookModelInput): RunbookDoc {
  const services = input.contract.services;
  const r = rolloutBlocks();
  const src = input.source ?? {};
  const intro: Block[] = [
    {
      kind: 'p',
      text:
        `Generated by \`medic runbook\` from ${src.contract ? code(src.contract) : 'the runtime contract'}` +
        `${src.version ? ` and policy version ${src.version}` : ''}. Do not edit by hand: the decision table is ` +
        'produced by running decide() itself, so it always matches the code.',
    },
  ];
  const sections: Section[] = [
    { id: 'services', title: 'Services and their limits', level: 2, blocks: [] },
    ...serviceSections(input),
    {
      id: 'actions',
      title: 'Recommended actions',
      level: 2,
      blocks: [{ kind: 'p', text: 'Every state has one recommended action; Slack and GraphQL link here.' }],
    },
    ...actionSections(),
    { id: 'operator-commands', title: 'Operator commands', level: 3, blocks: operatorCommands() },
    { id: 'alerts', title: 'Alerts', level: 2, blocks: alertBlocks() },
    ...(input.fleet
      ? [
          {
            id: NODE_DOWN_ID,
            title: 'A node gone dark (fleet hub)',
            level: 3 as const,
            blocks: nodeDownBlocks(),
          },
        ]
      : []),
    {
      id: 'decision-table',
      title: 'Decision table',
      level: 2,
      blocks: [
        {
          kind: 'p',
          text:
            'For each state, a representative state is reached by driving decide() from a fresh service, then every ' +
            'input is decided from it. Blocked attempts are the `skip_*` rows.',
        },
      ],
    },
    ...tableSections(input.policies, services),
    {
      id: 'decision-codes',
      title: 'Decision codes',
      level: 2,
      blocks: DECISION_CODES.map((c) => ({
        kind: 'anchored' as const,
        id: runbookAnchor(c),
        text: `**${code(c)}** — ${DECISION_TEXTS[c]}`,
      })),
    },
    { id: 'policy-rollout', title: 'Rolling out a policy change', level: 2, blocks: r.policy },
    { id: 'policy-rollback', title: 'Rolling back a policy change', level: 3, blocks: r.rollback },
    { id: 'contract-rollout', title: 'Rolling out a contract change', level: 2, blocks: r.contract },
    { id: STORE_RECOVERY_ID, title: 'Store recovery', level: 2, blocks: recoveryBlocks() },
    { id: ALERTS_ESCALATION_ID, title: 'Alerts and escalation', level: 2, blocks: escalationBlocks() },
  ];
  return { title: 'medic operator runbook', intro, sections };
}
