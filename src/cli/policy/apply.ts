/**
 * `medic policy apply FILE [--reason "…"] [--yes] [--days N] [--db PATH] [--author A] [--json]`:
 * the validation gate (src/rollout/gate.ts). Validates FILE (exit 2 with every problem), diffs
 * it against the active version, replays the last N days (default 7) of recorded inputs of every
 * affected service under both policies and prints the differences. Without --yes nothing is
 * activated (dry run); with --yes (and --reason) the candidate becomes the active version,
 * audited `policy_applied`; a running `medic serve` picks it up within its poll interval.
 */
import { applyPolicy } from '../../rollout/apply.js';
import { formatChanges } from '../../rollout/diff.js';
import { describeVersion, planLines } from '../../rollout/format.js';
import { DEFAULT_DAYS } from '../../rollout/gate.js';
import { type Command, EXIT_INVALID, EXIT_OK, parseFlags, UsageError, writeLine } from '../io.js';
import { cliAuthor, openCliStore, positiveInt, reportCandidateError } from './support.js';

export const run: Command = async (args, io) => {
  const { values, positionals } = parseFlags(args, {
    reason: { type: 'string' },
    yes: { type: 'boolean' },
    days: { type: 'string' },
    db: { type: 'string' },
    author: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (positionals.length !== 1) {
    writeLine(
      io.stderr,
      'usage: medic policy apply FILE [--reason "…"] [--yes] [--days N] [--db PATH] [--json]',
    );
    return EXIT_INVALID;
  }
  const days = positiveInt('days', values.days, DEFAULT_DAYS);
  if (values.yes && !values.reason?.trim()) throw new UsageError('--yes needs --reason "why this change"');
  const store = openCliStore(values.db, io);
  try {
    let outcome: Awaited<ReturnType<typeof applyPolicy>>;
    try {
      outcome = await applyPolicy(
        store,
        { file: positionals[0], cwd: io.cwd },
        {
          days,
          activate: values.yes === true,
          author: cliAuthor(values.author),
          reason: values.reason?.trim() ?? '',
          now: io.clock.now(),
        },
      );
    } catch (err) {
      return reportCandidateError(err, io, 'apply');
    }
    const { plan, applied } = outcome;
    if (values.json) {
      const { active, candidate: _c, ...rest } = plan;
      writeLine(
        io.stdout,
        JSON.stringify({
          ...rest,
          activeVersion: active?.version.version ?? null,
          applied: applied?.version ?? null,
        }),
      );
      return EXIT_OK;
    }
    for (const line of planLines(plan, formatChanges(plan.changes))) writeLine(io.stdout, line);
    if (plan.unchanged) writeLine(io.stdout, 'nothing to apply');
    else if (applied) {
      writeLine(io.stdout, `applied: ${describeVersion(applied.version)} is now active`);
      if (plan.active) {
        writeLine(
          io.stdout,
          `roll back with: medic policy rollback --to ${plan.active.version.version} --reason "…"`,
        );
      }
    } else {
      writeLine(io.stdout, 'dry run: nothing was activated; re-run with --yes --reason "…" to activate');
    }
    return EXIT_OK;
  } finally {
    store.close();
  }
};
