/**
 * `medic policy report --service S [--days N] [--shadow FILE] [--db PATH] [--json]`: compares the
 * shadow-mode policy of S with the enforcing one over the last N days (default 7) of recorded
 * inputs — what is compared is spelled out in src/rollout/shadow.ts and docs/ROLLOUT.md.
 * Exit 0 report printed, 2 usage, invalid FILE or no shadow policy to compare.
 */
import { loadCandidate } from '../../rollout/candidate.js';
import { reportLines } from '../../rollout/format.js';
import { DEFAULT_DAYS } from '../../rollout/gate.js';
import type { PolicySet } from '../../rollout/policy-set.js';
import { ReportError, shadowReport } from '../../rollout/shadow.js';
import { activePolicySet } from '../../rollout/versions.js';
import { type Command, EXIT_INVALID, EXIT_OK, parseFlags, UsageError, writeLine } from '../io.js';
import { openCliStore, positiveInt, reportCandidateError } from './support.js';

export const run: Command = async (args, io) => {
  const { values, positionals } = parseFlags(args, {
    service: { type: 'string' },
    days: { type: 'string' },
    shadow: { type: 'string' },
    db: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  if (!values.service) throw new UsageError('--service S is required');
  const days = positiveInt('days', values.days, DEFAULT_DAYS);
  const store = openCliStore(values.db, io);
  try {
    let shadow: { set: PolicySet; file: string } | undefined;
    if (values.shadow) {
      try {
        shadow = {
          set: await loadCandidate(values.shadow, io.cwd, activePolicySet(store)?.set ?? null),
          file: values.shadow,
        };
      } catch (err) {
        return reportCandidateError(err, io, 'report');
      }
    }
    try {
      const report = shadowReport(store, values.service, {
        days,
        now: io.clock.now(),
        ...(shadow ? { shadow } : {}),
      });
      if (values.json) writeLine(io.stdout, JSON.stringify(report));
      else for (const line of reportLines(report)) writeLine(io.stdout, line);
      return EXIT_OK;
    } catch (err) {
      if (!(err instanceof ReportError)) throw err;
      writeLine(io.stderr, `medic policy report: ${err.message}`);
      return EXIT_INVALID;
    }
  } finally {
    store.close();
  }
};
