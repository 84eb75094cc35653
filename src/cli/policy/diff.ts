/**
 * `medic policy diff FILE [--db PATH] [--json]`: what FILE (a contract or a policies file)
 * changes against the active policy version, key by key.
 * Exit 0 no difference, 1 differences (like diff(1)), 2 invalid FILE or usage.
 */
import { loadCandidate } from '../../rollout/candidate.js';
import { diffPolicySets, formatChanges } from '../../rollout/diff.js';
import { describeVersion } from '../../rollout/format.js';
import { activePolicySet } from '../../rollout/versions.js';
import { type Command, EXIT_FINDING, EXIT_INVALID, EXIT_OK, parseFlags, writeLine } from '../io.js';
import { openCliStore, reportCandidateError } from './support.js';

export const run: Command = async (args, io) => {
  const { values, positionals } = parseFlags(args, { db: { type: 'string' }, json: { type: 'boolean' } });
  if (positionals.length !== 1) {
    writeLine(io.stderr, 'usage: medic policy diff FILE [--db PATH] [--json]');
    return EXIT_INVALID;
  }
  const store = openCliStore(values.db, io);
  try {
    const active = activePolicySet(store);
    let candidate: Awaited<ReturnType<typeof loadCandidate>>;
    try {
      candidate = await loadCandidate(positionals[0], io.cwd, active?.set ?? null);
    } catch (err) {
      return reportCandidateError(err, io, 'diff');
    }
    const diff = diffPolicySets(active?.set ?? null, candidate);
    if (values.json) {
      writeLine(io.stdout, JSON.stringify({ activeVersion: active?.version.version ?? null, ...diff }));
    } else {
      writeLine(
        io.stdout,
        active ? `against active ${describeVersion(active.version)}` : 'no active version yet',
      );
      if (diff.changes.length === 0) writeLine(io.stdout, 'no changes');
      else {
        for (const line of formatChanges(diff.changes)) writeLine(io.stdout, line);
        writeLine(io.stdout, `affected services: ${diff.affected.join(', ') || 'none'}`);
      }
    }
    return diff.changes.length === 0 ? EXIT_OK : EXIT_FINDING;
  } finally {
    store.close();
  }
};
