/**
 * `medic status [SERVICE] [--node NODE] [--json]`: every service as a table (state, restarts vs
 * limit, circuit, hold, next deadline, recommended action), or one service in detail. `--json`
 * prints the API's answer unchanged. The same against an agent and the fleet hub (MEDIC_URL):
 * the list is read page by page (`servicePage`), a NODE column appears when the services span
 * several nodes, and `--node` narrows to one. Exit 0; 2 for an unknown service, or at the hub a
 * name several nodes run without `--node` (the message lists them). When policies name fleet
 * restart budget groups, the table is followed by one line per group (`budget-summary.ts`).
 */

import { relative } from '../../core/relative.js';
import { type CliIo, EXIT_INVALID, EXIT_OK, writeLine } from '../io.js';
import { BUDGET_FIELDS, type BudgetGroupRow, budgetSummary } from './budget-summary.js';
import { OpsError, type OpsTarget, request } from './client.js';
import { painter, STATE_COLOUR, table } from './format.js';

const FIELDS = `id node name unit state mode approvalPending
  churn { restartsInWindow maxRestarts windowSec totalRestarts blockedAttempts }
  cooldown { active until } circuit { state reopensAt } hold { actor reason until }
  maintenance { id name mode endsAt reason }
  backoff { nextDelaySec } recommendedAction { code summary command runbookUrl }
  lastDecision { decision reason at actor }`;

interface Row {
  id: string;
  node: string;
  name: string;
  unit: string;
  state: string;
  mode: string;
  approvalPending: boolean;
  churn: {
    restartsInWindow: number;
    maxRestarts: number;
    windowSec: number;
    totalRestarts: number;
    blockedAttempts: number;
  };
  cooldown: { active: boolean; until: string | null };
  circuit: { state: string; reopensAt: string | null };
  hold: { actor: string; reason: string; until: string } | null;
  maintenance: { id: string; name: string; mode: string; endsAt: string; reason: string | null } | null;
  backoff: { nextDelaySec: number };
  recommendedAction: { code: string; summary: string; command: string; runbookUrl: string };
  lastDecision: { decision: string; reason: string | null; at: string; actor: string | null } | null;
}

function next(s: Row, now: number): string {
  // A window outranks the cooldown it causes: the end of the window is the next thing to happen.
  if (s.maintenance)
    return `maintenance ${s.maintenance.name} (${s.maintenance.mode}) ends ${relative(s.maintenance.endsAt, now)}`;
  if (s.hold) return `hold ends ${relative(s.hold.until, now)}`;
  if (s.circuit.reopensAt) return `half-open ${relative(s.circuit.reopensAt, now)}`;
  if (s.cooldown.active && s.cooldown.until) return `cooldown ends ${relative(s.cooldown.until, now)}`;
  if (s.approvalPending) return 'awaits approval';
  return '-';
}

function detail(s: Row, now: number, io: CliIo): void {
  const paint = painter(io);
  const lines = [
    `${paint('bold', s.name)} (${s.unit}): ${paint(STATE_COLOUR[s.state] ?? 'dim', s.state)}${s.mode === 'shadow' ? ' [shadow]' : ''}`,
    `  restarts   ${s.churn.restartsInWindow}/${s.churn.maxRestarts} in ${s.churn.windowSec}s, ${s.churn.totalRestarts} total, ${s.churn.blockedAttempts} blocked`,
    `  circuit    ${s.circuit.state}${s.circuit.reopensAt ? `, half-open ${relative(s.circuit.reopensAt, now)}` : ''}`,
    `  cooldown   ${s.cooldown.active && s.cooldown.until ? `ends ${relative(s.cooldown.until, now)}` : 'no'}; next delay ${s.backoff.nextDelaySec}s`,
    `  hold       ${s.hold ? `by ${s.hold.actor} until ${s.hold.until} (${relative(s.hold.until, now)}): ${s.hold.reason}` : 'no'}`,
    `  maintenance ${s.maintenance ? `${s.maintenance.name} (${s.maintenance.mode}) until ${s.maintenance.endsAt} (${relative(s.maintenance.endsAt, now)})${s.maintenance.reason ? `: ${s.maintenance.reason}` : ''}` : 'no'}`,
    `  approval   ${s.approvalPending ? 'a probe restart awaits approval' : 'none pending'}`,
    `  last       ${s.lastDecision ? `${s.lastDecision.decision} ${relative(s.lastDecision.at, now)}${s.lastDecision.actor ? ` by ${s.lastDecision.actor}` : ''}${s.lastDecision.reason ? `: ${s.lastDecision.reason}` : ''}` : '-'}`,
    `  next step  ${s.recommendedAction.summary}`,
    `             ${s.recommendedAction.command}`,
    `             ${s.recommendedAction.runbookUrl}`,
  ];
  for (const l of lines) writeLine(io.stdout, l);
}

/** Every service (of `node`), page by page: an agent answers in one page, the hub in several. */
async function allServices(target: OpsTarget, node: string | undefined): Promise<Row[]> {
  const rows: Row[] = [];
  let after: string | null = null;
  for (;;) {
    const {
      servicePage: page,
    }: { servicePage: { nodes: Row[]; hasNextPage: boolean; endCursor: string | null } } = await request(
      target,
      `query($node: String, $after: String) {
          servicePage(node: $node, first: ${PAGE}, after: $after) { nodes { ${FIELDS} } hasNextPage endCursor } }`,
      { node: node ?? null, after },
    );
    rows.push(...page.nodes);
    if (!page.hasNextPage || !page.endCursor) return rows;
    after = page.endCursor;
  }
}

const PAGE = 500;

export async function status(
  target: OpsTarget,
  service: string | undefined,
  json: boolean,
  io: CliIo,
  node?: string,
): Promise<number> {
  const now = io.clock.now();
  if (service) {
    const data = await request<{ service: Row | null }>(
      target,
      `query($n: String!, $node: String) { service(name: $n, node: $node) { ${FIELDS} } }`,
      { n: service, node: node ?? null },
    );
    if (!data.service)
      throw new OpsError(`no service named '${service}'${node ? ` on node ${node}` : ''}`, EXIT_INVALID);
    if (json) writeLine(io.stdout, JSON.stringify(data.service));
    else detail(data.service, now, io);
    return EXIT_OK;
  }
  const services = await allServices(target, node);
  if (json) {
    writeLine(io.stdout, JSON.stringify(services));
    return EXIT_OK;
  }
  if (services.length === 0) {
    writeLine(io.stdout, 'medic supervises no services');
    return EXIT_OK;
  }
  const paint = painter(io);
  // A NODE column when the services span several nodes (the fleet hub).
  const many = new Set(services.map((s) => s.node)).size > 1;
  const rows = services.map((s) => [
    ...(many ? [s.node] : []),
    s.name,
    s.state,
    `${s.churn.restartsInWindow}/${s.churn.maxRestarts}`,
    s.circuit.state,
    next(s, now),
    s.state === 'healthy' ? '' : s.recommendedAction.summary,
  ]);
  const lines = table(
    [...(many ? ['NODE'] : []), 'SERVICE', 'STATE', 'RESTARTS', 'CIRCUIT', 'NEXT', 'RECOMMENDED'],
    rows,
    (row, c, text) => {
      const s = services[row];
      const col = many ? c - 1 : c;
      if (col === 1) return paint(STATE_COLOUR[s.state] ?? 'dim', text);
      if (col === 2 && s.churn.restartsInWindow >= s.churn.maxRestarts) return paint('red', text);
      return text;
    },
  );
  const { budgetGroups } = await request<{ budgetGroups: BudgetGroupRow[] }>(
    target,
    `{ budgetGroups { ${BUDGET_FIELDS} } }`,
    {},
  );
  const summary = budgetSummary(budgetGroups, now);
  io.stdout.write(`${[...lines, ...(summary.length > 0 ? ['', ...summary] : [])].join('\n')}\n`);
  return EXIT_OK;
}
