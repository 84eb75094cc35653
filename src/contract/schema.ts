/**
 * The runtime contract's YAML schema (version 1), strict: unknown keys are errors.
 *
 * This is the shape as written. Cross-field rules (policy feasibility, references, unique names
 * and units) live in validate.ts; resolution (prefix, interpreter, effective policy) in resolve.ts.
 */
import { z } from 'zod';
import { ALERT_ACTIONS } from '../core/alerts.js';
import { ESCALATION_TRIGGERS } from '../core/escalation.js';
import { maintenanceSchema } from './maintenance/contract.js';
import { unitNameProblem } from './unit-name.js';

/** An absolute path: starts with `/`; no `~` or `$VAR` (those belong in unit files, not here). */
export const absolutePath = z
  .string()
  .min(1, 'must not be empty')
  .refine((p) => p.startsWith('/'), 'must be an absolute path (starting with /)')
  .refine((p) => !p.includes('\0'), 'must not contain NUL');

const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name is [A-Za-z_][A-Za-z0-9_]*');

/** YAML scalars that users write unquoted (`PORT: 8000`) become strings. */
const envValue = z
  .union([z.string(), z.number(), z.boolean()], {
    error: 'an environment value must be a string, number or boolean',
  })
  .transform(String)
  .refine((v) => !v.includes('\0') && !v.includes('\n'), 'must not contain NUL or newlines');

/** How a service's unit activates the conda environment (see `activation` below). */
export const ACTIVATIONS = ['env', 'path', 'none'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** Variables medic itself sets from `conda`; a service may not override them. */
export const RESERVED_ENV = ['CONDA_PREFIX', 'PATH', 'MEDIC_PYTHON'] as const;

export const supervisorSchema = z.strictObject({
  kind: z.enum(['systemd', 'process']),
  scope: z.enum(['system', 'user']).default('system'),
});

export const condaSchema = z.strictObject({
  root: absolutePath,
  env: z
    .string()
    .regex(/^[A-Za-z0-9._+-]+$/, 'a conda env name is [A-Za-z0-9._+-]+ (no slashes or spaces)')
    .refine((e) => e !== '.' && e !== '..', 'must not be . or ..'),
  python: z
    .string({
      error: (iss) =>
        typeof iss.input === 'number'
          ? `quote the version, e.g. python: "3.11" (unquoted, YAML reads 3.10 as the number 3.1; got ${iss.input})`
          : 'expected a version string like "3.11"',
    })
    .regex(/^\d+\.\d+(\.\d+)?$/, 'a Python version is MAJOR.MINOR or MAJOR.MINOR.PATCH, e.g. "3.11"'),
  prefix: absolutePath.optional(),
});

export const healthSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
  /** Seconds between probes; default 10. */
  intervalSec: z.number().positive().default(10),
  /** Probe timeout; default 2000 ms. */
  timeoutMs: z.number().int().positive().default(2000),
});

/** One alert mapping (core/alerts.ts): labels to match, and what a firing alert asks for. */
export const alertRuleSchema = z.strictObject({
  match: z
    .record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a label name is [A-Za-z_][A-Za-z0-9_]*'),
      z.string(),
    )
    .refine((m) => Object.keys(m).length > 0, 'match at least one label'),
  action: z.enum(ALERT_ACTIONS),
  /** For `hold`: the hold's TTL in seconds (default 3600); it also ends when the alert resolves. */
  holdTtlSec: z.number().int().positive().optional(),
});

const argString = z
  .string()
  .refine((a) => !a.includes('\0') && !a.includes('\n'), 'must not contain NUL or newlines');

export const serviceSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i, 'a service name is [A-Za-z0-9][A-Za-z0-9_-]*'),
  unit: z.string().superRefine((u, ctx) => {
    const problem = unitNameProblem(u, 'service');
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  command: z
    .array(argString)
    .min(1, 'must name at least the program')
    .refine(
      (c) => c[0] === 'python' || c[0]?.startsWith('/'),
      'the program must be `python` (the contract interpreter) or an absolute path',
    ),
  workingDirectory: absolutePath.optional(),
  environment: z
    .record(envName, envValue)
    .default({})
    .superRefine((env, ctx) => {
      for (const key of RESERVED_ENV) {
        if (key in env) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `${key} is set by medic from conda; remove it here`,
          });
        }
      }
    }),
  health: healthSchema.optional(),
  /** Alertmanager alerts that concern this service (docs/ALERTS.md); first match wins. */
  alerts: z.array(alertRuleSchema).default([]),
  /**
   * Which of medic's conda variables the unit carries (rendered into its drop-in, checked for
   * drift): `env` (default) CONDA_PREFIX and PATH with `<prefix>/bin` first; `path` only PATH
   * (a unit that finds python through `/usr/bin/env`); `none` neither (the command names its
   * interpreter, or `conda run` activates the environment itself).
   */
  activation: z.enum(ACTIVATIONS).default('env'),
  /**
   * Names of other services in this contract that this one needs (`db`, `broker`): while one of
   * them is not healthy, automatic restarts of this service are deferred. `node/name` (a service
   * on another node, fleet mode) is recognised and refused as not yet supported. Cycles and
   * unknown names are checked in validate.ts.
   */
  dependsOn: z.array(z.string().min(1)).default([]),
  /** Services restarted after this one, in order, each through its own guards (rest_for_one). */
  restartWith: z.array(z.string().min(1)).default([]),
  /** A name from `policies`, or an inline policy object (validated in validate.ts). */
  policy: z
    .union([z.string().min(1), z.record(z.string(), z.unknown())], {
      error: 'must be a policy name from `policies` or an inline policy object',
    })
    .optional(),
});

export const repoSchema = z.strictObject({
  units: z.array(z.string().min(1)).default([]),
  scripts: z.array(z.string().min(1)).default([]),
});

/**
 * Escalation when medic gives up (docs/ALERTS.md): targets whose secrets are named, never
 * written (`routingKeyEnv`, `secretEnv`: environment variable names), what triggers an episode,
 * and how long an approval may wait.
 */
export const escalationSchema = z
  .strictObject({
    pagerduty: z.strictObject({ routingKeyEnv: envName }).optional(),
    webhooks: z
      .array(
        z.strictObject({
          name: z
            .string()
            .regex(/^[A-Za-z0-9_-]+$/, 'a webhook name is [A-Za-z0-9_-]+')
            .optional(),
          url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
          secretEnv: envName,
        }),
      )
      .default([]),
    on: z
      .array(z.enum(ESCALATION_TRIGGERS))
      .min(1)
      .default([...ESCALATION_TRIGGERS]),
    after: z.strictObject({ approvalPendingSec: z.number().positive().optional() }).default({}),
  })
  .refine((e) => e.pagerduty !== undefined || e.webhooks.length > 0, 'name a target: pagerduty or webhooks')
  .refine((e) => {
    const names = e.webhooks.map((w, i) => w.name ?? `webhook-${i + 1}`);
    return new Set(names).size === names.length;
  }, 'webhook names must be unique');

export const contractSchema = z.strictObject({
  version: z.literal(1, { error: 'version must be 1' }),
  supervisor: supervisorSchema,
  conda: condaSchema,
  /** Named policies; each is validated by src/core/policy.ts in validate.ts. */
  policies: z
    .record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'a policy name is [A-Za-z0-9_-]+'), z.unknown())
    .default({}),
  services: z.array(serviceSchema).min(1, 'a contract names at least one service'),
  repo: repoSchema.default({ units: [], scripts: [] }),
  escalation: escalationSchema.optional(),
  /** Maintenance windows (src/contract/maintenance/): hold or shadow automatic restarts. */
  maintenance: z.array(maintenanceSchema).default([]),
});

export type ContractInput = z.input<typeof contractSchema>;
export type ContractDocument = z.output<typeof contractSchema>;
