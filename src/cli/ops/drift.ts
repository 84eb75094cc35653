/**
 * `medic drift [--check] [--json]`: the runtime contract's drift as the running medic last saw
 * it; `--check` runs the check now (operator role; audited like the periodic check).
 * Exit 0 no drift, 1 drift found (or, at the fleet hub, the node's agent did not answer the check
 * in time), 2 no contract or not reachable, or at the hub several nodes and no `--node`.
 */
import { type CliIo, EXIT_FINDING, EXIT_INVALID, EXIT_OK, writeLine } from '../io.js';
import {
  type MutationOutcome,
  OpsError,
  type OpsTarget,
  OUTCOME_FIELDS,
  refusal,
  request,
} from './client.js';

const REPORT = 'ok checkedAt findings { source service field expected actual severity fix }';

interface Report {
  ok: boolean;
  checkedAt: string;
  findings: {
    source: string;
    service: string | null;
    field: string;
    expected: string | null;
    actual: string | null;
    severity: string;
    fix: string | null;
  }[];
}

export async function drift(
  target: OpsTarget,
  flags: { check?: boolean; json?: boolean; node?: string },
  io: CliIo,
): Promise<number> {
  let report: Report | null;
  let path = '';
  if (flags.check) {
    const data = await request<{ checkDrift: MutationOutcome & Partial<Report> }>(
      target,
      `mutation($node: String) { checkDrift(node: $node) { __typename ... on DriftReport { ${REPORT} } ${OUTCOME_FIELDS} } }`,
      { node: flags.node ?? null },
    );
    const refused = refusal(data.checkDrift, null);
    if (refused) throw refused;
    report = data.checkDrift as unknown as Report;
  } else {
    const data = await request<{
      runtimeContract: { path: string; valid: boolean; errors: string[]; drift: Report | null } | null;
    }>(
      target,
      `query($node: String) { runtimeContract(node: $node) { path valid errors drift { ${REPORT} } } }`,
      {
        node: flags.node ?? null,
      },
    );
    if (!data.runtimeContract) throw new OpsError('medic runs without a runtime contract', EXIT_INVALID);
    path = data.runtimeContract.path;
    report = data.runtimeContract.drift;
    if (!report) {
      writeLine(io.stdout, `${path}: not checked yet (run \`medic drift --check\`)`);
      return EXIT_OK;
    }
  }
  if (flags.json) writeLine(io.stdout, JSON.stringify(report));
  else {
    writeLine(
      io.stdout,
      `${path ? `${path}: ` : ''}${report.ok ? 'no drift' : 'DRIFT'} (checked ${report.checkedAt})`,
    );
    for (const f of report.findings) {
      writeLine(
        io.stdout,
        `  [${f.severity}] ${f.source} ${f.service ?? '-'} ${f.field}: expected ${f.expected ?? '-'}, actual ${f.actual ?? '-'}`,
      );
      if (f.fix) writeLine(io.stdout, `      fix: ${f.fix}`);
    }
  }
  return report.ok ? EXIT_OK : EXIT_FINDING;
}
