/**
 * `medic policy rollback [--to N] --reason "…" [--db PATH] [--author A]`: reactivates the previous
 * version (the highest-numbered one below the active) or version N, audited
 * `policy_rolled_back`. `--list` prints the versions instead. A running `medic serve` picks the
 * change up within its poll interval; state and counters carry over.
 */

import { rollbackPolicy, VersionError } from '../../rollout/apply.js';
import { describeVersion } from '../../rollout/format.js';
import { type Command, EXIT_INVALID, EXIT_OK, parseFlags, UsageError, writeLine } from '../io.js';
import { cliAuthor, openCliStore, positiveInt } from './support.js';

export const run: Command = async (args, io) => {
  const { values, positionals } = parseFlags(args, {
    to: { type: 'string' },
    reason: { type: 'string' },
    db: { type: 'string' },
    author: { type: 'string' },
    list: { type: 'boolean' },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const store = openCliStore(values.db, io);
  try {
    if (values.list) {
      for (const v of store.listPolicyVersions()) {
        writeLine(io.stdout, `${v.active ? '*' : ' '} ${describeVersion(v)}`);
      }
      return EXIT_OK;
    }
    if (!values.reason?.trim()) throw new UsageError('--reason "why roll back" is required');
    const to = values.to === undefined ? undefined : positiveInt('to', values.to, 0);
    try {
      const { from, version } = rollbackPolicy(store, to, {
        author: cliAuthor(values.author),
        reason: values.reason.trim(),
        now: io.clock.now(),
      });
      writeLine(io.stdout, `rolled back from version ${from.version} to ${describeVersion(version)}`);
      return EXIT_OK;
    } catch (err) {
      if (!(err instanceof VersionError)) throw err;
      writeLine(io.stderr, `medic policy rollback: ${err.message}`);
      return EXIT_INVALID;
    }
  } finally {
    store.close();
  }
};
