/**
 * The contract's `maintenance:` key: its zod shape (schedule and time zone checked by parsing
 * them, each problem at its path), the cross-check of service names (every problem at once,
 * next to the rest of validate.ts), and the resolved windows the engine evaluates.
 */
import { z } from 'zod';
import { MAINTENANCE_MODES } from '../../core/maintenance.js';
import type { ContractMaintenance, ContractProblem } from '../types.js';
import type { MaintenanceWindow } from './active.js';
import { parseSchedule, timeZoneProblem } from './schedule.js';

export type { ContractMaintenance } from '../types.js';

export const maintenanceSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a window name is [A-Za-z0-9][A-Za-z0-9_.-]*'),
  schedule: z
    .union([z.string(), z.strictObject({ cron: z.string(), duration: z.string() })], {
      error: 'schedule must be a string like "Sat 02:00-04:00" or { cron, duration }',
    })
    .superRefine((raw, ctx) => {
      const parsed = parseSchedule(raw);
      if ('problem' in parsed) ctx.addIssue({ code: 'custom', message: parsed.problem });
    }),
  timezone: z
    .string()
    .default('UTC')
    .superRefine((tz, ctx) => {
      const problem = timeZoneProblem(tz);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  services: z.union([
    z.literal('all'),
    z.array(z.string().min(1)).min(1, 'name at least one service, or all'),
  ]),
  mode: z.enum(MAINTENANCE_MODES).default('hold'),
  /** Send escalations and Slack incidents during the window (marked as maintenance). */
  notify: z.boolean().default(false),
});

export type MaintenanceDocument = z.output<typeof maintenanceSchema>;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Unknown service names and duplicate window names, on the raw document. */
export function maintenanceProblems(raw: Record<string, unknown>): ContractProblem[] {
  if (!Array.isArray(raw.maintenance)) return [];
  const services = Array.isArray(raw.services) ? raw.services : [];
  const names = services.flatMap((s) => (isObject(s) && typeof s.name === 'string' ? [s.name] : []));
  const known = new Set(names);
  const problems: ContractProblem[] = [];
  const seen = new Map<string, number>();
  raw.maintenance.forEach((w, i) => {
    if (!isObject(w)) return;
    if (typeof w.name === 'string') {
      const first = seen.get(w.name);
      if (first !== undefined)
        problems.push({
          path: `maintenance.${i}.name`,
          message: `duplicate window name '${w.name}' (also maintenance.${first})`,
        });
      else seen.set(w.name, i);
    }
    if (!Array.isArray(w.services)) return;
    w.services.forEach((ref, j) => {
      if (typeof ref === 'string' && !known.has(ref))
        problems.push({
          path: `maintenance.${i}.services.${j}`,
          message: `unknown service '${ref}' (services: ${names.join(', ')})`,
        });
    });
  });
  return problems;
}

export function resolveMaintenance(doc: MaintenanceDocument[]): ContractMaintenance[] {
  return doc.map((w) => {
    const parsed = parseSchedule(w.schedule);
    if (!('schedule' in parsed)) throw new Error('unreachable: schedule was validated');
    return {
      name: w.name,
      schedule: parsed.schedule,
      timezone: w.timezone,
      services: w.services === 'all' ? 'all' : [...w.services],
      mode: w.mode,
      notify: w.notify,
    };
  });
}

/** The contract's windows as the evaluator takes them. */
export function contractWindows(list: readonly ContractMaintenance[]): MaintenanceWindow[] {
  return list.map((w) => ({
    id: `contract:${w.name}`,
    name: w.name,
    services: w.services,
    mode: w.mode,
    notify: w.notify,
    reason: null,
    when: { kind: 'schedule', schedule: w.schedule, timezone: w.timezone },
  }));
}
