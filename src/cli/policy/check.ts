/**
 * `medic policy check FILE`: validates a policy file (YAML or JSON; one policy, or a runtime
 * contract's `policies:` map). Exit 0 and a short summary when valid; exit 2 with every problem
 * as `path: message` on stderr when not.
 */
import { describePolicy } from '../../core/policy-file.js';
import { type Command, EXIT_INVALID, EXIT_OK, parseFlags, UsageError, writeLine } from '../io.js';
import { loadPolicyFile } from './load.js';

export const run: Command = async (args, io) => {
  const { positionals } = parseFlags(args, {});
  if (positionals.length !== 1) throw new UsageError('usage: medic policy check FILE');
  const file = positionals[0];
  const result = await loadPolicyFile(file, io.cwd);
  if (!result.ok) {
    writeLine(io.stderr, `${file}: invalid (${result.problems.length} problem(s))`);
    for (const p of result.problems) writeLine(io.stderr, `${p.path}: ${p.message}`);
    return EXIT_INVALID;
  }
  const doc = result.value;
  if (doc.kind === 'policy') {
    writeLine(io.stdout, `${file}: valid policy`);
    writeLine(io.stdout, `  ${describePolicy(doc.policy)}`);
    return EXIT_OK;
  }
  const names = Object.keys(doc.policies);
  const inline = Object.keys(doc.inline);
  writeLine(
    io.stdout,
    `${file}: valid contract policies (${names.length} named${inline.length ? `, ${inline.length} inline` : ''})`,
  );
  for (const name of names) writeLine(io.stdout, `  ${name}: ${describePolicy(doc.policies[name])}`);
  for (const name of inline)
    writeLine(io.stdout, `  services.${name} (inline): ${describePolicy(doc.inline[name])}`);
  return EXIT_OK;
};
