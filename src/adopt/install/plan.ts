/**
 * What `medic install` does, as data: folders (with modes), files (with modes), then commands.
 * `--dry-run` prints this plan; `apply.ts` carries it out. Pure given its inputs.
 */
import { systemctlArgv, systemctlCommand } from '../../systemd/scope.js';
import { renderEnvFile } from './envfile.js';
import type { InstallPaths } from './paths.js';
import { renderMedicUnit } from './unit.js';

export interface PlannedFile {
  path: string;
  mode: number;
  content: string;
  /** Kept when it already exists (the env file holds the operator's settings). */
  keepExisting: boolean;
}

export interface InstallPlan {
  paths: InstallPaths;
  dirs: { path: string; mode: number }[];
  files: PlannedFile[];
  /** The store is created (migrated) and chmod 0600; the first admin token is created in it. */
  store: { path: string; mode: number; tokenName: string };
  /** argv lists, run in order after the files are written. */
  commands: string[][];
  url: string;
}

export interface PlanInput {
  paths: InstallPaths;
  contract: string;
  /** argv that runs medic (node, flags, bin/medic.mjs). */
  medic: string[];
  /** Paths the service reads besides its own (conda prefix, …). */
  uses?: string[];
  host: string;
  port: number;
  /** Extra env-file values (e.g. XDG_RUNTIME_DIR for scope user). */
  env?: Record<string, string>;
}

/** argv of `systemctl [--user] ARGS…` (the one scope module, src/systemd/scope.ts). */
export { systemctlArgv };

export function planInstall(input: PlanInput): InstallPlan {
  const { paths } = input;
  const envFile = renderEnvFile({
    MEDIC_DB: paths.db,
    MEDIC_CONTRACT: input.contract,
    MEDIC_HOST: input.host,
    MEDIC_PORT: String(input.port),
    ...input.env,
  });
  const unit = renderMedicUnit({
    paths,
    execStart: [...input.medic, 'serve'],
    contract: input.contract,
    uses: [input.contract, paths.stateDir, ...(input.uses ?? [])],
  });
  return {
    paths,
    dirs: [
      { path: paths.configDir, mode: 0o700 },
      { path: paths.stateDir, mode: 0o700 },
    ],
    files: [
      { path: paths.envFile, mode: 0o600, content: envFile, keepExisting: true },
      { path: paths.unitFile, mode: 0o644, content: unit, keepExisting: false },
    ],
    store: { path: paths.db, mode: 0o600, tokenName: 'admin' },
    commands: [
      systemctlArgv(paths.scope, 'daemon-reload'),
      systemctlArgv(paths.scope, 'enable', '--now', paths.unitName),
    ],
    url: `http://${input.host.includes(':') ? `[${input.host}]` : input.host}:${input.port}`,
  };
}

/** The plan as text: every folder, file (with its content) and command. */
export function formatPlan(plan: InstallPlan): string {
  const mode = (m: number) => `0${m.toString(8)}`;
  const out: string[] = [];
  for (const d of plan.dirs) out.push(`mkdir -p -m ${mode(d.mode)} ${d.path}`);
  for (const f of plan.files) {
    out.push(`\n--- ${f.path} (mode ${mode(f.mode)}${f.keepExisting ? ', kept if it exists' : ''})`);
    out.push(f.content.trimEnd());
  }
  out.push(
    `\n--- ${plan.store.path} (mode ${mode(plan.store.mode)}): created and migrated; admin token '${plan.store.tokenName}' created and printed once`,
  );
  out.push('');
  for (const c of plan.commands) out.push(c.join(' '));
  out.push(`wait for ${plan.url}/readyz`);
  out.push(
    `\nundo: medic uninstall${plan.paths.scope === 'user' ? ' --scope user' : ''} [--purge]   (${systemctlCommand(plan.paths.scope)} disable --now ${plan.paths.unitName})`,
  );
  return out.join('\n');
}
