/**
 * Reading a runtime contract: YAML → zod schema + cross-field rules → resolved `Contract`.
 *
 * Every problem is reported at once (`ContractError.problems`, each with its dotted path and,
 * when known, its line). Bad YAML reports line and column. A service without `policy` uses the
 * policy named `default` when the contract defines one, else medic's defaults.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { DEFAULT_POLICY, type Policy, parsePolicy } from '../core/policy.js';
import { resolveMaintenance } from './maintenance/contract.js';
import { cleanPath } from './normalize.js';
import { type ContractDocument, contractSchema } from './schema.js';
import { type Contract, ContractError, type ContractProblem, type ContractService } from './types.js';
import { crossCheck } from './validate.js';

export type { Contract, ContractHealth, ContractProblem, ContractService } from './types.js';
export { ContractError } from './types.js';

function zodProblems(error: z.ZodError): ContractProblem[] {
  const out: ContractProblem[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({ path: [...issue.path, key].map(String).join('.'), message: 'unknown key' });
      }
    } else {
      out.push({ path: issue.path.map(String).join('.') || '(root)', message: issue.message });
    }
  }
  return out;
}

function resolvePolicy(policies: Record<string, Policy>, svc: ContractDocument['services'][number]) {
  if (typeof svc.policy === 'string') return { policyName: svc.policy, policy: policies[svc.policy]! };
  if (svc.policy) {
    const parsed = parsePolicy(svc.policy);
    if (!parsed.ok) throw new Error('unreachable: inline policy was validated');
    return { policyName: null, policy: parsed.value };
  }
  if (policies.default) return { policyName: 'default', policy: policies.default };
  return { policyName: null, policy: DEFAULT_POLICY };
}

function resolveContract(doc: ContractDocument, file: string): Contract {
  const prefix = cleanPath(doc.conda.prefix ?? `${doc.conda.root}/envs/${doc.conda.env}`);
  const pythonPath = `${prefix}/bin/python`;
  const policies: Record<string, Policy> = {};
  for (const [name, value] of Object.entries(doc.policies)) {
    const parsed = parsePolicy(value ?? {});
    if (!parsed.ok) throw new Error('unreachable: policy was validated');
    policies[name] = parsed.value;
  }
  const services: ContractService[] = doc.services.map((svc) => ({
    name: svc.name,
    unit: svc.unit,
    command: [...svc.command],
    argv: svc.command.map((a, i) => (i === 0 && a === 'python' ? pythonPath : a)),
    ...(svc.workingDirectory ? { workingDirectory: cleanPath(svc.workingDirectory) } : {}),
    environment: Object.fromEntries(
      Object.entries(svc.environment).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    ),
    activation: svc.activation,
    ...(svc.health ? { health: { ...svc.health } } : {}),
    ...(svc.alerts.length ? { alerts: svc.alerts.map((r) => ({ ...r, match: { ...r.match } })) } : {}),
    ...(svc.dependsOn.length ? { dependsOn: [...svc.dependsOn] } : {}),
    ...(svc.restartWith.length ? { restartWith: [...svc.restartWith] } : {}),
    ...resolvePolicy(policies, svc),
  }));
  return {
    file,
    dir: dirname(file),
    version: 1,
    supervisor: { ...doc.supervisor },
    conda: {
      root: cleanPath(doc.conda.root),
      env: doc.conda.env,
      python: doc.conda.python,
      prefix,
      pythonPath,
    },
    policies,
    services,
    repo: { units: [...doc.repo.units], scripts: [...doc.repo.scripts] },
    ...(doc.escalation
      ? {
          escalation: {
            pagerduty: doc.escalation.pagerduty ? { ...doc.escalation.pagerduty } : null,
            webhooks: doc.escalation.webhooks.map((w, i) => ({
              name: w.name ?? `webhook-${i + 1}`,
              url: w.url,
              secretEnv: w.secretEnv,
            })),
            on: [...doc.escalation.on],
            approvalPendingSec: doc.escalation.after.approvalPendingSec ?? null,
          },
        }
      : {}),
    ...(doc.maintenance.length ? { maintenance: resolveMaintenance(doc.maintenance) } : {}),
  };
}

/**
 * Parses contract text. `file` names it in errors and anchors `dir` (repo globs); it is made
 * absolute against the process's working directory. Throws ContractError.
 */
export function parseContract(text: string, file: string): Contract {
  const abs = resolve(file);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ContractError(
      abs,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return {
          path: '(yaml)',
          message: `${pos ? `line ${pos.line}, column ${pos.col}: ` : ''}${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
          ...(pos ? { line: pos.line } : {}),
        };
      }),
    );
  }
  let raw: unknown;
  try {
    // yaml refuses alias expansion beyond maxAliasCount (a "billion laughs" bomb) by throwing.
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new ContractError(abs, [
      { path: '(yaml)', message: `cannot be read as data: ${(err as Error).message}` },
    ]);
  }
  const result = contractSchema.safeParse(raw);
  const problems = [...(result.success ? [] : zodProblems(result.error)), ...crossCheck(raw)];
  if (problems.length > 0 || !result.success) {
    for (const p of problems) {
      const segments = p.path.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
      let node = doc.getIn(segments, true) as { range?: [number, number, number] } | undefined;
      // Unknown keys and missing values have no node of their own: point at the parent.
      for (let n = segments.length - 1; !node?.range && n > 0; n--) {
        node = doc.getIn(segments.slice(0, n), true) as typeof node;
      }
      if (node?.range) p.line = lineCounter.linePos(node.range[0]).line;
    }
    throw new ContractError(abs, problems);
  }
  return resolveContract(result.data, abs);
}

/** Reads and parses a contract file. Throws ContractError (also when the file cannot be read). */
export async function loadContract(path: string): Promise<Contract> {
  const abs = resolve(path);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    throw new ContractError(abs, [
      { path: '(file)', message: `cannot read ${abs}: ${(err as Error).message}` },
    ]);
  }
  return parseContract(text, abs);
}

/**
 * The contract path: `--contract FILE` wins over `MEDIC_CONTRACT`; relative paths are taken
 * against `cwd`. Returns null when neither is given.
 */
export function contractPath(
  flag: string | undefined,
  envValue: string | undefined,
  cwd: string,
): string | null {
  const p = flag || envValue;
  return p ? resolve(cwd, p) : null;
}
