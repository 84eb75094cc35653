/** `medic policy <sub>`: each subcommand lives in ../policy/<sub>.ts. */
import { type Command, EXIT_INVALID, writeLine } from '../io.js';

const SUBCOMMANDS: Record<string, () => Promise<{ run: Command }>> = {
  check: () => import('../policy/check.js'),
  simulate: () => import('../policy/simulate.js'),
  diff: () => import('../policy/diff.js'),
  apply: () => import('../policy/apply.js'),
  rollback: () => import('../policy/rollback.js'),
  report: () => import('../policy/report.js'),
};

export const run: Command = async (args, io) => {
  const [sub, ...rest] = args;
  const load = sub ? SUBCOMMANDS[sub] : undefined;
  if (!load) {
    writeLine(io.stderr, `usage: medic policy <${Object.keys(SUBCOMMANDS).join('|')}> ...`);
    return EXIT_INVALID;
  }
  const { run: runSub } = await load();
  return runSub(rest, io);
};
