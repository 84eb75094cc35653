/**
 * `medic budget [GROUP] [--json]`: the fleet restart budget groups (issue 16) — in flight and
 * used in the window against the limits, services waiting, and with GROUP the waiting services
 * oldest first. The same against an agent (its own groups, the numbers as the hub last answered,
 * its own waiting services) and the fleet hub (the whole fleet now): `budgetGroups` over the API.
 * Exit 0 nothing waits; 1 services wait for a lease in a shown group (restarts are being held
 * back); 2 an unknown group, or the API unreachable or refused.
 */
import { ago } from '../../core/relative.js';
import { type CliIo, EXIT_FINDING, EXIT_INVALID, EXIT_OK, writeLine } from '../io.js';
import { BUDGET_FIELDS, type BudgetGroupRow } from './budget-summary.js';
import { OpsError, type OpsTarget, request } from './client.js';
import { table } from './format.js';

type Group = BudgetGroupRow;

const FIELDS = BUDGET_FIELDS;

const num = (n: number | null) => (n === null ? '?' : String(n));

export async function budget(
  target: OpsTarget,
  group: string | undefined,
  json: boolean,
  io: CliIo,
): Promise<number> {
  const data = await request<{ budgetGroups: Group[] }>(
    target,
    `query($name: String) { budgetGroups(name: $name) { ${FIELDS} } }`,
    { name: group ?? null },
  );
  const groups = data.budgetGroups;
  if (group && groups.length === 0) throw new OpsError(`no fleet budget group '${group}' here`, EXIT_INVALID);
  const waits = groups.some((g) => (g.waiting ?? 0) > 0 || g.waitingServices.length > 0);
  if (json) {
    writeLine(io.stdout, JSON.stringify(groups));
    return waits ? EXIT_FINDING : EXIT_OK;
  }
  if (groups.length === 0) {
    writeLine(io.stdout, 'no fleet budget groups (no policy names `budget`)');
    return EXIT_OK;
  }
  const now = io.clock.now();
  const rows = groups.map((g) => [
    g.name,
    `${num(g.inFlight)}/${g.maxConcurrent}`,
    `${num(g.usedInWindow)}/${g.maxPerWindow} in ${g.windowSec}s`,
    num(g.waiting),
    g.heardAt ? ago(g.heardAt, now) : 'never (the hub has not answered)',
  ]);
  for (const line of table(['GROUP', 'IN FLIGHT', 'USED', 'WAITING', 'AS OF'], rows))
    writeLine(io.stdout, line);
  for (const g of groups) {
    if (!group && g.waitingServices.length === 0) continue;
    writeLine(io.stdout, '');
    writeLine(
      io.stdout,
      `${g.name}: ${g.waitingServices.length === 0 ? 'nothing waits' : 'waiting, oldest first'}`,
    );
    if (g.waitingServices.length === 0) continue;
    const waiters = g.waitingServices.map((w) => [
      w.position === null ? '-' : `#${w.position}`,
      w.node,
      w.service,
      `since ${ago(w.since, now)}`,
    ]);
    for (const line of table(['#', 'NODE', 'SERVICE', 'WAITING'], waiters)) writeLine(io.stdout, `  ${line}`);
  }
  return waits ? EXIT_FINDING : EXIT_OK;
}
