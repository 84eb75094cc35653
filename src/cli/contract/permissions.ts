/**
 * `medic contract permissions [--contract FILE] [--json]`: may medic — this user, on this bus —
 * manage the contract's units? The check `medic serve` runs at start (src/systemd/polkit-check.ts)
 * on a short-lived connection: run it as medic's user (`sudo -u medic medic contract permissions`).
 * exit 0 may (or no check is needed: the private socket, the process backend), 2 may not, or the
 * manager cannot be reached.
 *
 * `medic contract polkit [--contract FILE] [--user NAME]`: prints the polkit rule that grants it
 * (src/systemd/polkit-rule.ts); --user defaults to the current user.
 */
import { userInfo } from 'node:os';
import { loadEnv } from '../../config/env.js';
import type { Contract } from '../../contract/types.js';
import { withManager } from '../../systemd/connect.js';
import { DbusUnavailable } from '../../systemd/connection.js';
import { checkPermission } from '../../systemd/polkit-check.js';
import { polkitRule } from '../../systemd/polkit-rule.js';
import { type CliIo, EXIT_INVALID, EXIT_OK, noExtraArgs, parseFlags, UsageError, writeLine } from '../io.js';

export async function permissions(args: string[], io: CliIo, load: LoadContract): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    contract: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  noExtraArgs(positionals);
  const contract = await load(values.contract, io);
  const say = (ok: boolean, line: string, json: object) => {
    if (values.json) writeLine(io.stdout, JSON.stringify(json));
    else writeLine(ok ? io.stdout : io.stderr, line);
    return ok ? EXIT_OK : EXIT_INVALID;
  };
  if (contract.supervisor.kind === 'process')
    return say(true, 'the process backend: medic runs the services itself (no systemd permission needed)', {
      ok: true,
      code: 'PERMISSION_NOT_NEEDED',
    });
  const env = loadEnv(io.env);
  try {
    const verdict = await withManager(
      {
        scope: contract.supervisor.scope,
        runtimeDir: env.XDG_RUNTIME_DIR,
        busAddress: env.MEDIC_DBUS_ADDRESS,
      },
      (conn) =>
        checkPermission(conn, {
          scope: contract.supervisor.scope,
          units: contract.services.map((s) => s.unit),
        }),
    );
    return say(verdict.ok, `${verdict.ok ? 'ok' : 'refused'} [${verdict.code}]: ${verdict.message}`, verdict);
  } catch (err) {
    if (!(err instanceof DbusUnavailable)) throw err;
    const message = `cannot reach the systemd manager: ${err.message}`;
    return say(false, `unknown [PERMISSION_UNKNOWN]: ${message}`, {
      ok: false,
      code: 'PERMISSION_UNKNOWN',
      message,
    });
  }
}

export async function polkit(args: string[], io: CliIo, load: LoadContract): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    contract: { type: 'string' },
    user: { type: 'string' },
  });
  noExtraArgs(positionals);
  const contract = await load(values.contract, io);
  const user = values.user ?? userInfo().username;
  if (!/^[a-z_][a-z0-9_.-]*\$?$/i.test(user))
    throw new UsageError(`--user takes a user name (got '${user}')`);
  io.stdout.write(
    polkitRule({
      user,
      units: contract.services.map((s) => s.unit),
      source: values.contract ?? contract.file,
    }),
  );
  return EXIT_OK;
}

export type LoadContract = (flag: string | undefined, io: CliIo) => Promise<Contract>;
