/**
 * `medic runbook [--contract FILE] [--format md|html] [--out FILE] [--db PATH]`: renders the
 * operator runbook (src/runbook) to stdout or FILE. The contract comes from --contract or
 * MEDIC_CONTRACT. Policies: with --db, the store's active policy version (what serve runs);
 * without, the contract's own policies (deterministic: how docs/RUNBOOK.md is produced:
 * `node bin/medic.mjs runbook --contract examples/contracts/shop.yaml --out docs/RUNBOOK.md`).
 * Exit 0 written, 2 usage or invalid contract.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadEnv } from '../../config/env.js';
import { ContractError, contractPath, loadContract } from '../../contract/load.js';
import type { PolicySet } from '../../rollout/policy-set.js';
import { activePolicySet } from '../../rollout/versions.js';
import { renderRunbook } from '../../runbook/render.js';
import { type Command, EXIT_INVALID, EXIT_OK, parseFlags, UsageError, writeLine } from '../io.js';
import { openCliStore } from '../policy/support.js';

export const run: Command = async (args, io) => {
  const { values, positionals } = parseFlags(args, {
    contract: { type: 'string' },
    format: { type: 'string' },
    out: { type: 'string' },
    db: { type: 'string' },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const format = values.format ?? (values.out?.endsWith('.html') ? 'html' : 'md');
  if (format !== 'md' && format !== 'html')
    throw new UsageError(`--format must be md or html, got '${format}'`);
  const env = loadEnv(io.env);
  const path = contractPath(values.contract, env.MEDIC_CONTRACT, io.cwd);
  if (!path) throw new UsageError('no contract: pass --contract FILE or set MEDIC_CONTRACT');
  let contract: Awaited<ReturnType<typeof loadContract>>;
  try {
    contract = await loadContract(path);
  } catch (err) {
    if (!(err instanceof ContractError)) throw err;
    writeLine(io.stderr, `medic runbook: ${err.message}`);
    return EXIT_INVALID;
  }
  let policies: PolicySet | undefined;
  let version: number | null = null;
  if (values.db) {
    const store = openCliStore(values.db, io);
    try {
      const active = activePolicySet(store);
      policies = active?.set;
      version = active?.version.version ?? null;
      if (!active)
        writeLine(
          io.stderr,
          'medic runbook: no active policy version in the store; using the contract’s policies',
        );
    } finally {
      store.close();
    }
  }
  const text = renderRunbook({
    contract,
    format,
    ...(policies ? { policies } : {}),
    source: { contract: values.contract ?? env.MEDIC_CONTRACT ?? path, version },
    ...(env.MEDIC_PUBLIC_URL ? { publicUrl: env.MEDIC_PUBLIC_URL } : {}),
  });
  if (values.out) {
    await writeFile(resolve(io.cwd, values.out), text);
    writeLine(io.stderr, `wrote ${values.out}`);
  } else {
    io.stdout.write(text);
  }
  return EXIT_OK;
};
