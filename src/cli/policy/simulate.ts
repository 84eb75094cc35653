/**
 * `medic policy simulate --policy FILE --input FILE|- [--policy-name NAME] [--explain]`
 *
 * Runs decide() over a JSON Lines input (see simulate-line.ts) and prints one JSON line per
 * input on stdout:
 *   {"at","service","input","decision","state","restartsInWindow","recommendedAction":{"code","summary"}}
 * (`--explain` adds "detail" and "effects"). Each service in the stream has its own state,
 * starting healthy. Inputs must be in time order (equal times are fine). A bad line stops the
 * run with `line N: ...` on stderr and exit 2; it is never skipped. Blank lines are ignored.
 *
 * With a contract holding several policies, the one named by --policy-name is used, else the
 * one named `default`, else the only one; otherwise it is a usage error. Units named by the
 * contract's services appear in the recommended commands (else `<service>.service`).
 */
import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { decide } from '../../core/decide.js';
import { countersOf } from '../../core/events.js';
import type { Policy } from '../../core/policy.js';
import type { PolicyDocument } from '../../core/policy-file.js';
import { recommend } from '../../core/recommend.js';
import { initialState } from '../../core/state.js';
import type { ServiceState } from '../../core/types.js';
import { type Command, EXIT_INVALID, EXIT_OK, parseFlags, UsageError, writeLine } from '../io.js';
import { loadPolicyFile } from './load.js';
import { parseSimLine } from './simulate-line.js';

const USAGE = 'usage: medic policy simulate --policy FILE --input FILE|- [--policy-name NAME] [--explain]';

function pickPolicy(doc: PolicyDocument, name: string | undefined): Policy {
  if (doc.kind === 'policy') {
    if (name !== undefined) throw new UsageError('--policy-name applies to contracts with a `policies:` map');
    return doc.policy;
  }
  const names = Object.keys(doc.policies);
  const chosen = name ?? (doc.policies.default ? 'default' : names.length === 1 ? names[0] : undefined);
  if (chosen === undefined) {
    throw new UsageError(
      `the contract has several policies (${names.join(', ')}); choose one with --policy-name`,
    );
  }
  const policy = doc.policies[chosen];
  if (!policy) throw new UsageError(`no policy named '${chosen}' (have: ${names.join(', ') || 'none'})`);
  return policy;
}

export const run: Command = async (args, io) => {
  const { values, positionals } = parseFlags(args, {
    policy: { type: 'string' },
    input: { type: 'string' },
    'policy-name': { type: 'string' },
    explain: { type: 'boolean' },
  });
  if (!values.policy || !values.input || positionals.length > 0) throw new UsageError(USAGE);
  const loaded = await loadPolicyFile(values.policy, io.cwd);
  if (!loaded.ok) {
    writeLine(io.stderr, `${values.policy}: invalid policy`);
    for (const p of loaded.problems) writeLine(io.stderr, `${p.path}: ${p.message}`);
    return EXIT_INVALID;
  }
  const policy = pickPolicy(loaded.value, values['policy-name']);
  const units = loaded.value.kind === 'contract' ? loaded.value.units : {};
  const source = values.input === '-' ? io.stdin : createReadStream(resolve(io.cwd, values.input));
  const states = new Map<string, ServiceState>();
  let lastAt = Number.NEGATIVE_INFINITY;
  let lineNo = 0;
  const fail = (message: string) => {
    writeLine(io.stderr, `${values.input === '-' ? 'stdin' : values.input}: line ${lineNo}: ${message}`);
    return EXIT_INVALID;
  };
  try {
    for await (const text of createInterface({ input: source, crlfDelay: Number.POSITIVE_INFINITY })) {
      lineNo++;
      if (text.trim() === '') continue;
      const parsed = parseSimLine(text);
      if (!parsed.ok) return fail(parsed.message);
      const { at, service, input } = parsed.value;
      if (at < lastAt) {
        return fail(
          `at ${new Date(at).toISOString()} is before the previous input (${new Date(lastAt).toISOString()})`,
        );
      }
      lastAt = at;
      const decision = decide(states.get(service) ?? initialState(), input, at, policy);
      states.set(service, decision.next);
      const action = recommend(
        decision.next,
        policy,
        { name: service, unit: units[service] ?? `${service}.service` },
        at,
      );
      const out: Record<string, unknown> = {
        at: new Date(at).toISOString(),
        service,
        input,
        decision: decision.decision,
        state: decision.next.tag,
        restartsInWindow: countersOf(decision.next, at, policy).restartsInWindow,
        recommendedAction: { code: action.code, summary: action.summary },
      };
      if (values.explain) {
        out.detail = decision.detail;
        out.effects = decision.effects;
      }
      writeLine(io.stdout, JSON.stringify(out));
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code) {
      writeLine(io.stderr, `cannot read ${values.input}: ${code}`);
      return EXIT_INVALID;
    }
    throw err;
  }
  return EXIT_OK;
};
