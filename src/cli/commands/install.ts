/**
 * `medic install [--contract FILE] [--scope system|user] [--dry-run] [--unit NAME]
 *  [--host ADDR] [--port N] [--ready-timeout SEC]`
 *
 * Installs medic as a systemd service for the contract: runs `medic contract check` as a gate
 * (drift → exit 1, nothing written), then writes the env file (0600, every variable
 * documented), the store folder (0700) and store (0600, migrated), medic's unit, creates the
 * first admin token (printed once, last line of stdout), `systemctl enable --now`, and waits for
 * `/readyz`. `--dry-run` prints every folder, file and command instead. The scope defaults to the
 * contract's `supervisor.scope`. Exit codes: 0 installed and ready; 1 drift, a failed systemctl,
 * or not ready in time; 2 bad flags, an invalid contract, or scope system without root.
 */
import { join } from 'node:path';
import { applyInstall } from '../../adopt/install/apply.js';
import { InstallError, installPaths } from '../../adopt/install/paths.js';
import { formatPlan, planInstall } from '../../adopt/install/plan.js';
import { loadEnv } from '../../config/env.js';
import { ContractError, contractPath, loadContract } from '../../contract/load.js';
import { checkDrift, DRIFT_SOURCES } from '../../drift/check.js';
import { formatReport } from '../../drift/format.js';
import { PACKAGE_ROOT } from '../../paths.js';
import { journalctlCommand, systemctlCommand } from '../../systemd/scope.js';
import {
  type Command,
  EXIT_FINDING,
  EXIT_INVALID,
  EXIT_OK,
  parseFlags,
  UsageError,
  writeLine,
} from '../io.js';
import { assertServiceUnit, parseScope } from './uninstall.js';

export const run: Command = async (args, io) => {
  const { values, positionals } = parseFlags(args, {
    contract: { type: 'string' },
    scope: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    unit: { type: 'string', default: 'medic.service' },
    host: { type: 'string' },
    port: { type: 'string' },
    'ready-timeout': { type: 'string', default: '60' },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const env = loadEnv(io.env);
  const file = contractPath(values.contract, env.MEDIC_CONTRACT, io.cwd);
  if (!file) throw new UsageError('no contract: pass --contract FILE or set MEDIC_CONTRACT');
  const port = values.port === undefined ? env.MEDIC_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new UsageError(`--port takes 1-65535 (got '${values.port}')`);
  const readyTimeout = Number(values['ready-timeout']);
  if (!(readyTimeout > 0))
    throw new UsageError(`--ready-timeout takes seconds (got '${values['ready-timeout']}')`);
  const unit = assertServiceUnit(values.unit);
  const say = (line: string) => writeLine(io.stderr, line);
  try {
    const contract = await loadContract(file);
    const scope = parseScope(values.scope) ?? contract.supervisor.scope;
    if (scope === 'system' && !values['dry-run'] && process.getuid?.() !== 0) {
      throw new InstallError(
        'scope system writes /etc and /var/lib: run as root (or --scope user, or --dry-run)',
      );
    }
    // The gate: medic must not start on a host that is not what its contract says.
    const report = await checkDrift(contract, { env: io.env });
    if (!report.ok) {
      writeLine(io.stdout, formatReport(report, contract, [...DRIFT_SOURCES]));
      say(
        'medic install: refusing: the contract does not match this host (fix the drift above, or regenerate it with medic contract init)',
      );
      return EXIT_FINDING;
    }
    say(`contract check: ${contract.file}: no drift (${contract.services.length} service(s))`);
    const paths = installPaths(scope, unit, io.env);
    const plan = planInstall({
      paths,
      contract: contract.file,
      uses: [
        contract.conda.prefix,
        ...contract.services.flatMap((s) => [s.argv[0]!, s.workingDirectory ?? '/']),
      ],
      // The V8 flags of bin/medic.mjs's shebang (a unit runs node directly, not the shebang).
      medic: [
        process.execPath,
        '--max-semi-space-size=2',
        '--v8-pool-size=1',
        '--expose-gc',
        join(PACKAGE_ROOT, 'bin', 'medic.mjs'),
      ],
      host: values.host ?? env.MEDIC_HOST,
      port,
      env: scope === 'user' && env.XDG_RUNTIME_DIR ? { XDG_RUNTIME_DIR: env.XDG_RUNTIME_DIR } : {},
    });
    if (values['dry-run']) {
      writeLine(io.stdout, formatPlan(plan));
      return EXIT_OK;
    }
    const result = await applyInstall(plan, { readyTimeoutMs: readyTimeout * 1000 });
    say(
      `installed ${paths.unitFile}; env file ${paths.envFile}${result.keptFiles.includes(paths.envFile) ? ' (kept: it existed)' : ''}; store ${paths.db}`,
    );
    if (result.readyAfterMs === null) {
      say(
        `medic install: ${paths.unitName} started but ${plan.url}/readyz did not answer 200 within ${readyTimeout} s`,
      );
      say(
        `  see: ${journalctlCommand(scope)} -u ${paths.unitName}; ${systemctlCommand(scope)} status ${paths.unitName}`,
      );
    } else
      say(
        `medic is ready at ${plan.url} (/readyz 200 ${(result.readyAfterMs / 1000).toFixed(1)} s after start)`,
      );
    if (result.token) {
      say(`created admin token '${result.token.name}'; it is shown once (next line), store it now`);
      writeLine(io.stdout, result.token.value);
    } else say('an active admin token exists already (not shown again; medic token create makes another)');
    return result.readyAfterMs === null ? EXIT_FINDING : EXIT_OK;
  } catch (err) {
    if (err instanceof ContractError) {
      say(`medic install: ${err.message}`);
      return EXIT_INVALID;
    }
    if (err instanceof InstallError) {
      say(`medic install: ${err.message}`);
      return err.exitCode === 1 ? EXIT_FINDING : EXIT_INVALID;
    }
    throw err;
  }
};
