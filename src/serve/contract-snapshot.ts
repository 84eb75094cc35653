/**
 * The runtime contract as this agent ships it to the hub (fleet ContractSnapshot): what its API's
 * `runtimeContract` answers (valid, errors, declared services, the latest drift report). The
 * contract file is re-read (inspect) at most every `inspectEveryMs`; the drift report is read
 * each time, so a check (periodic or `checkDrift` from the hub) reaches the hub with the next batch.
 * With `runbook`, the snapshot carries what the agent's `/runbook` says per service (active
 * policies included, so a `policy apply` reaches the hub's runbook with the next batch).
 */
import type { ContractStatus } from '../api/schema/ports.js';
import type { ContractSnapshot } from '../fleet/protocol.js';

export function contractSnapshots(
  contract: ContractStatus,
  now: () => number,
  inspectEveryMs = 30_000,
  /** The per-service runbook sources (contract + active policies; read at each ship round). */
  runbook?: () => NonNullable<ContractSnapshot['runbook']>,
): () => Promise<ContractSnapshot> {
  let inspected: { at: number; value: Awaited<ReturnType<ContractStatus['inspect']>> } | null = null;
  return async () => {
    if (!inspected || now() - inspected.at >= inspectEveryMs)
      inspected = { at: now(), value: await contract.inspect() };
    const drift = contract.lastDrift();
    return {
      path: contract.path,
      ...inspected.value,
      drift: drift && {
        ok: drift.ok,
        checkedAt: drift.checkedAt instanceof Date ? drift.checkedAt.getTime() : drift.checkedAt,
        findings: drift.findings,
      },
      ...(runbook ? { runbook: runbook() } : {}),
    };
  };
}
