/**
 * `medic contract check|render`.
 *
 * check  [--contract FILE] [--json] [--source systemd,fs,repo]
 *        exit 0 no drift (warnings allowed), 1 drift, 2 invalid contract or unreadable source.
 * render --out DIR [--contract FILE] [--only dropins|env]
 *        writes `<unit>.d/medic-runtime.conf` per service and `runtime.env`, prints the files
 *        and the commands that install them.
 * init   --units GLOB … (src/cli/contract/init.ts): a contract from the units that exist.
 * permissions [--contract FILE] [--json]: may medic manage the units (exit 0 yes, 2 no);
 * polkit [--contract FILE] [--user NAME]: the polkit rule that lets it (src/cli/contract/permissions.ts).
 * The contract comes from --contract, else MEDIC_CONTRACT.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { loadEnv } from '../../config/env.js';
import { fleetDependencyProblems } from '../../contract/dependencies.js';
import { type Contract, ContractError, contractPath, loadContract } from '../../contract/load.js';
import { installCommands, renderContract } from '../../contract/render.js';
import { checkDrift } from '../../drift/check.js';
import { formatReport } from '../../drift/format.js';
import { DRIFT_SOURCES, type DriftSource, DriftSourceError } from '../../drift/types.js';
import { INIT_USAGE, init } from '../contract/init.js';
import { permissions, polkit } from '../contract/permissions.js';
import {
  type CliIo,
  type Command,
  EXIT_FINDING,
  EXIT_INVALID,
  EXIT_OK,
  noExtraArgs,
  parseFlags,
  UsageError,
  writeLine,
} from '../io.js';

const USAGE =
  'usage: medic contract check [--contract FILE] [--json] [--source systemd,fs,repo]\n' +
  '       medic contract render --out DIR [--contract FILE] [--only dropins|env]\n' +
  '       medic contract permissions [--contract FILE] [--json]\n' +
  '       medic contract polkit [--contract FILE] [--user NAME]\n' +
  `       ${INIT_USAGE}`;

async function load(flag: string | undefined, io: CliIo): Promise<Contract> {
  const path = contractPath(flag, loadEnv(io.env).MEDIC_CONTRACT, io.cwd);
  if (!path) throw new UsageError('no contract: pass --contract FILE or set MEDIC_CONTRACT');
  return loadContract(path);
}

function parseSources(value: string | undefined): DriftSource[] {
  if (!value) return [...DRIFT_SOURCES];
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = list.filter((s) => !(DRIFT_SOURCES as readonly string[]).includes(s));
  if (bad.length > 0 || list.length === 0) {
    throw new UsageError(
      `--source takes a comma-separated list of ${DRIFT_SOURCES.join(', ')} (got '${value}')`,
    );
  }
  return DRIFT_SOURCES.filter((s) => list.includes(s));
}

const check: Command = async (args, io) => {
  const { values, positionals } = parseFlags(args, {
    contract: { type: 'string' },
    json: { type: 'boolean', default: false },
    source: { type: 'string' },
  });
  noExtraArgs(positionals);
  const sources = parseSources(values.source);
  const contract = await load(values.contract, io);
  // A `node/name` dependency is valid only where the agent ships to a hub (docs/FLEET.md).
  const env = loadEnv(io.env);
  const fleet = fleetDependencyProblems(contract, {
    hub: Boolean(env.MEDIC_HUB_URL && env.MEDIC_HUB_TOKEN),
    node: env.MEDIC_NODE_NAME,
  });
  if (fleet.length > 0) throw new ContractError(contract.file, fleet);
  const report = await checkDrift(contract, { sources, env: io.env });
  if (values.json)
    writeLine(
      io.stdout,
      JSON.stringify({ ok: report.ok, checkedAt: report.checkedAt, findings: report.findings }),
    );
  else writeLine(io.stdout, formatReport(report, contract, sources));
  return report.ok ? EXIT_OK : EXIT_FINDING;
};

const render: Command = async (args, io) => {
  const { values, positionals } = parseFlags(args, {
    contract: { type: 'string' },
    out: { type: 'string' },
    only: { type: 'string' },
  });
  noExtraArgs(positionals);
  if (!values.out) throw new UsageError('render needs --out DIR');
  if (values.only && values.only !== 'dropins' && values.only !== 'env') {
    throw new UsageError(`--only takes dropins or env (got '${values.only}')`);
  }
  const contract = await load(values.contract, io);
  const out = resolve(io.cwd, values.out.replace(/^~(?=\/|$)/, io.env.HOME ?? '~'));
  const files = renderContract(contract).filter(
    (f) => !values.only || (values.only === 'dropins' ? f.kind === 'dropin' : f.kind === 'env'),
  );
  for (const f of files) {
    const path = `${out}/${f.path}`;
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, f.content);
  }
  writeLine(io.stdout, `wrote ${files.length} file(s) to ${out}:`);
  for (const f of files) writeLine(io.stdout, `  ${f.path}  (belongs in ${f.installTo})`);
  const cmds = installCommands(contract, out, files);
  if (cmds.length > 0) {
    writeLine(io.stdout, '\ninstall with:');
    for (const c of cmds) writeLine(io.stdout, `  ${c}`);
  }
  return EXIT_OK;
};

const SUBCOMMANDS: Record<string, Command> = {
  check,
  render,
  init,
  permissions: (args, io) => permissions(args, io, load),
  polkit: (args, io) => polkit(args, io, load),
};

export const run: Command = async (args, io) => {
  const [sub, ...rest] = args;
  const cmd = sub ? SUBCOMMANDS[sub] : undefined;
  if (!cmd) {
    writeLine(io.stderr, USAGE);
    return EXIT_INVALID;
  }
  try {
    return await cmd(rest, io);
  } catch (err) {
    if (err instanceof ContractError || err instanceof DriftSourceError) {
      writeLine(io.stderr, `medic contract ${sub}: ${err.message}`);
      return EXIT_INVALID;
    }
    throw err;
  }
};
