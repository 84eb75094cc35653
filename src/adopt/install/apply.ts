/**
 * Carries out an install plan: folders and files with their modes, the store (opened once,
 * which applies the migrations; then 0600), the first admin token, the systemctl commands,
 * and a wait for `/readyz`. Every step is idempotent: installing again keeps the env file,
 * the store and its tokens, and rewrites the unit.
 */
import { execFile } from 'node:child_process';
import { access, chmod, mkdir, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { generateToken, hashToken } from '../../api/http/auth.js';
import { type Clock, sleep, systemClock } from '../../clock/clock.js';
import { openStore } from '../../store/sqlite.js';
import { systemctlArgv } from '../../systemd/scope.js';
import { InstallError } from './paths.js';
import type { InstallPlan } from './plan.js';

const run = promisify(execFile);

export interface ApplyResult {
  /** The new admin token (shown once), or null when an active admin token already existed. */
  token: { name: string; value: string } | null;
  keptFiles: string[];
  /** ms from `enable --now` to `/readyz` 200, or null when not ready within the timeout. */
  readyAfterMs: number | null;
}

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

export async function runCommand(argv: string[]): Promise<void> {
  try {
    await run(argv[0]!, argv.slice(1), { timeout: 60_000 });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new InstallError(`${argv.join(' ')} failed: ${(e.stderr || e.message).trim()}`, 1);
  }
}

/** Creates/migrates the store, sets its mode, and creates an admin token unless one is active. */
function prepareStore(plan: InstallPlan, clock: Clock): ApplyResult['token'] {
  const store = openStore(plan.store.path);
  try {
    const tokens = store.listTokens();
    if (tokens.some((t) => t.role === 'admin' && t.revokedAt === null)) return null;
    const taken = new Set(tokens.map((t) => t.name));
    let name = plan.store.tokenName;
    for (let i = 2; taken.has(name); i++) name = `${plan.store.tokenName}-${i}`;
    const value = generateToken();
    store.createToken(name, 'admin', hashToken(value), clock.now());
    return { name, value };
  } finally {
    store.close();
  }
}

/** Asks /readyz every 100 ms until it answers 200; ms it took, or null after `timeoutMs`. */
export async function waitReady(
  url: string,
  timeoutMs: number,
  clock: Clock = systemClock,
): Promise<number | null> {
  const started = clock.monotonic();
  while (clock.monotonic() - started < timeoutMs) {
    const ok = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return clock.monotonic() - started;
    await sleep(clock, 100);
  }
  return null;
}

export async function applyInstall(
  plan: InstallPlan,
  opts: { readyTimeoutMs: number; clock?: Clock },
): Promise<ApplyResult> {
  for (const d of plan.dirs) {
    await mkdir(d.path, { recursive: true, mode: d.mode });
    await chmod(d.path, d.mode);
  }
  const keptFiles: string[] = [];
  for (const f of plan.files) {
    if (f.keepExisting && (await exists(f.path))) {
      await chmod(f.path, f.mode);
      keptFiles.push(f.path);
      continue;
    }
    await mkdir(dirname(f.path), { recursive: true });
    await writeFile(f.path, f.content, { mode: f.mode });
    await chmod(f.path, f.mode);
  }
  const clock = opts.clock ?? systemClock;
  const token = prepareStore(plan, clock);
  for (const suffix of ['', '-wal', '-shm']) {
    if (await exists(plan.store.path + suffix)) await chmod(plan.store.path + suffix, plan.store.mode);
  }
  for (const argv of plan.commands) await runCommand(argv);
  const readyAfterMs = await waitReady(plan.url, opts.readyTimeoutMs, clock);
  return { token, keptFiles, readyAfterMs };
}

/**
 * Stops and disables the unit, removes it; with `purge` also the env file (and its folder when
 * empty: a contract kept next to it stays) and the store folder.
 */
export async function applyUninstall(
  plan: Pick<InstallPlan, 'paths'>,
  opts: { purge: boolean },
): Promise<string[]> {
  const { paths } = plan;
  const removed: string[] = [];
  // disable --now on a unit that is already gone fails; that is fine for an uninstall.
  await runCommand(systemctlArgv(paths.scope, 'disable', '--now', paths.unitName)).catch(() => {});
  if (await exists(paths.unitFile)) {
    await rm(paths.unitFile);
    removed.push(paths.unitFile);
  }
  await runCommand(systemctlArgv(paths.scope, 'daemon-reload'));
  await runCommand(systemctlArgv(paths.scope, 'reset-failed', paths.unitName)).catch(() => {});
  if (opts.purge) {
    // The env file, and its folder only when nothing else is in it (the contract may live there).
    if (await exists(paths.envFile)) {
      await rm(paths.envFile);
      removed.push(paths.envFile);
    }
    if ((await exists(paths.configDir)) && (await readdir(paths.configDir)).length === 0) {
      await rmdir(paths.configDir);
      removed.push(paths.configDir);
    }
    if (await exists(paths.stateDir)) {
      await rm(paths.stateDir, { recursive: true, force: true });
      removed.push(paths.stateDir);
    }
  }
  return removed;
}
