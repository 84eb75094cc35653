/**
 * The per-service restart policy: schema, defaults and the feasibility check (promise 5).
 *
 * Keys are camelCase exactly as in the foundation issue; unknown keys are errors. A policy
 * whose limits can never trip is rejected with the reason, so a misconfiguration cannot
 * silently disable the circuit breaker (systemd's StartLimit trap).
 */
import { z } from 'zod';

const positive = z.number().positive();
const positiveInt = z.number().int().positive();

export const backoffSchema = z
  .strictObject({
    initialSec: positive.default(10),
    factor: z.number().min(1).default(2),
    maxSec: positive.default(300),
  })
  .prefault({});

export const circuitSchema = z
  .strictObject({
    openSec: positive.default(900),
    maxOpenSec: positive.default(14400),
    hardStop: z.boolean().default(true),
  })
  .prefault({});

/**
 * The fleet restart budget (issue 16): services naming the same `group` share it across every
 * node. Before an automatic restart the agent asks the hub for a lease (decide/budget.ts).
 */
export const budgetSchema = z.strictObject({
  /** Services in the same group share the budget, across all nodes. */
  group: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/,
      'a group name is 1-100 of A-Z a-z 0-9 . _ - (starting alphanumeric)',
    ),
  /** Restarts in flight at once, fleet-wide (from the grant until healthy or failed). */
  maxConcurrent: positiveInt,
  /** Restarts started per window, fleet-wide. */
  maxPerWindow: positiveInt,
  windowSec: positive,
  /** No answer from the hub: `local` = restart under the local limits only; `wait` = no automatic restart. */
  onHubUnreachable: z.enum(['local', 'wait']).default('local'),
  /** How long to wait for the hub's answer before `onHubUnreachable` applies. */
  timeoutMs: positiveInt.max(60_000).default(500),
});

export type BudgetPolicy = z.output<typeof budgetSchema>;

/** Shape and defaults only; see `policySchema` for the cross-field rules. */
export const policyShape = z.strictObject({
  failureThreshold: positiveInt.default(3),
  startupGraceSec: positive.default(30),
  cooldownSec: positive.default(60),
  maxRestarts: positiveInt.default(3),
  windowSec: positive.default(600),
  backoff: backoffSchema,
  stableSec: positive.default(600),
  circuit: circuitSchema,
  mode: z.enum(['enforce', 'shadow']).default('enforce'),
  /**
   * Restart delays are stretched by up to this fraction (0.25 = 25 %), spread per node and
   * service, deterministically (core/jitter.ts); also spreads the restarts of dependents
   * after their dependency recovered. 0 = no spread.
   */
  jitter: z.number().min(0).max(1).default(0),
  /** Fleet restart budget (issue 16); absent = no budget, behaviour exactly as without fleet mode. */
  budget: budgetSchema.optional(),
});

export type Policy = z.output<typeof policyShape>;
export type PolicyInput = z.input<typeof policyShape>;

/**
 * Minimal delay (seconds) between restart n and restart n+1 of one backoff run (n ≥ 1):
 * `max(cooldownSec, min(initialSec × factor^(n−1), maxSec))`.
 */
export function restartSpacingSec(policy: Policy, n: number): number {
  const { initialSec, factor, maxSec } = policy.backoff;
  return Math.max(policy.cooldownSec, Math.min(initialSec * factor ** (n - 1), maxSec));
}

/**
 * Time in which `maxRestarts + 1` restart attempts are guaranteed to fit when the service keeps
 * failing. After restart n, the next one needs the spacing above AND — for a service that hangs
 * instead of crashing — the startup grace to expire (only then is the restart judged failed).
 * If this span is not inside `windowSec`, a hanging service would be restarted forever without
 * the churn limit ever being reached: the circuit could never open.
 */
export function minSpanForCircuitSec(policy: Policy): number {
  let span = 0;
  // Jitter only stretches delays: the check takes the longest stretch (×(1 + jitter)).
  const stretch = 1 + policy.jitter;
  for (let n = 1; n <= policy.maxRestarts; n++) {
    span += Math.max(restartSpacingSec(policy, n) * stretch, policy.startupGraceSec);
  }
  return span;
}

/** The cross-field rules, each with the path it is reported under. */
function checkFeasible(policy: Policy, ctx: z.RefinementCtx): void {
  if (policy.backoff.maxSec < policy.backoff.initialSec) {
    ctx.addIssue({
      code: 'custom',
      path: ['backoff', 'maxSec'],
      message: `backoff.maxSec (${policy.backoff.maxSec}) is below backoff.initialSec (${policy.backoff.initialSec})`,
    });
  }
  if (policy.circuit.maxOpenSec < policy.circuit.openSec) {
    ctx.addIssue({
      code: 'custom',
      path: ['circuit', 'maxOpenSec'],
      message: `circuit.maxOpenSec (${policy.circuit.maxOpenSec}) is below circuit.openSec (${policy.circuit.openSec})`,
    });
  }
  const b = policy.budget;
  if (b && b.maxPerWindow < b.maxConcurrent) {
    ctx.addIssue({
      code: 'custom',
      path: ['budget', 'maxPerWindow'],
      message:
        `budget.maxPerWindow (${b.maxPerWindow}) is below budget.maxConcurrent (${b.maxConcurrent}): ` +
        `that many restarts could never be in flight at once; raise maxPerWindow or lower maxConcurrent`,
    });
  }
  if (b && b.timeoutMs >= policy.startupGraceSec * 1000) {
    ctx.addIssue({
      code: 'custom',
      path: ['budget', 'timeoutMs'],
      message:
        `budget.timeoutMs (${b.timeoutMs}) is not below startupGraceSec (${policy.startupGraceSec}s): ` +
        `asking the hub would take longer than judging a restart; lower timeoutMs`,
    });
  }
  const span = minSpanForCircuitSec(policy);
  if (span >= policy.windowSec) {
    ctx.addIssue({
      code: 'custom',
      path: ['windowSec'],
      message:
        `the circuit can never open: ${policy.maxRestarts + 1} restarts (maxRestarts + 1) need at least ` +
        `${span}s given cooldownSec, backoff spacing (stretched by jitter) and startupGraceSec, but windowSec is ${policy.windowSec}s; ` +
        `raise windowSec above ${span} or lower maxRestarts/cooldownSec/backoff/startupGraceSec`,
    });
  }
}

export const policySchema = policyShape.superRefine(checkFeasible);

/** The policy with every default applied. */
export const DEFAULT_POLICY: Policy = policySchema.parse({});

export interface PolicyProblem {
  path: string;
  message: string;
}

/**
 * Turns zod issues into `path: message` problems (path joined with '.'). An unknown key is
 * reported at its own path (`backoff.intialSec: unknown key`), one problem per key.
 */
export function toProblems(error: z.ZodError, prefix: (string | number)[] = []): PolicyProblem[] {
  const join = (path: PropertyKey[]) => [...prefix, ...path].map(String).join('.') || '(root)';
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: join([...issue.path, key]), message: 'unknown key' }))
      : [{ path: join(issue.path), message: issue.message }],
  );
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; problems: PolicyProblem[] };

/** Validates one policy object; never throws. */
export function parsePolicy(input: unknown, prefix: (string | number)[] = []): ParseResult<Policy> {
  const result = policySchema.safeParse(input);
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, problems: toProblems(result.error, prefix) };
}
