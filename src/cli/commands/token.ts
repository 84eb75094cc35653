/**
 * `medic token create --name NAME --role viewer|operator|admin`: creates an API bearer token and
 * prints it ONCE, as the last line of stdout (so `TOKEN=$(medic token create ... | tail -1)`
 * works); only its sha256 is stored. `medic token list [--json]`; `medic token revoke NAME`.
 * The store is MEDIC_DB (default ./data/medic.db); it may be open in `medic serve` at the same time.
 * With MEDIC_HUB_DATABASE_URL set the same verbs manage the fleet hub's tokens in PostgreSQL,
 * including `--role agent --node NAME` (hub-token.ts).
 * Exit codes: 0 ok, 2 invalid input (bad role/name, name taken, unknown token).
 */

import { generateToken, hashToken } from '../../api/http/auth.js';
import { loadEnv } from '../../config/env.js';
import { isTokenRole, TOKEN_ROLES } from '../../core/roles.js';
import { StoreError } from '../../store/errors.js';
import { openStore } from '../../store/sqlite.js';
import type { Store, TokenRecord } from '../../store/types.js';
import { type CliIo, type Command, EXIT_INVALID, EXIT_OK, parseFlags, UsageError, writeLine } from '../io.js';
import { hubTokenCommand } from './hub-token.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const USAGE = `usage: medic token create --name NAME --role ${TOKEN_ROLES.join('|')}
       medic token list [--json]
       medic token revoke NAME`;

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

function create(store: Store, args: string[], io: CliIo): number {
  const { values, positionals } = parseFlags(args, {
    name: { type: 'string' },
    role: { type: 'string' },
    node: { type: 'string' },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'\n${USAGE}`);
  const { name, role } = values;
  if (role === 'agent' || values.node !== undefined)
    throw new UsageError(
      'agent tokens (--role agent --node NAME) live at the fleet hub: set MEDIC_HUB_DATABASE_URL to the hub database (docs/FLEET.md)',
    );
  if (!name || !NAME.test(name)) throw new UsageError(`--name must match ${NAME.source}\n${USAGE}`);
  if (!role || !isTokenRole(role)) throw new UsageError(`--role must be one of ${TOKEN_ROLES.join(', ')}`);
  const token = generateToken();
  try {
    store.createToken(name, role, hashToken(token), io.clock.now());
  } catch (err) {
    if (err instanceof StoreError && err.code === 'TOKEN_EXISTS') {
      writeLine(io.stderr, `medic token: a token named '${name}' already exists (names are never reused)`);
      return EXIT_INVALID;
    }
    throw err;
  }
  writeLine(
    io.stderr,
    `created token '${name}' with role ${role}; it is shown once (next line), store it now`,
  );
  writeLine(io.stdout, token);
  return EXIT_OK;
}

function list(store: Store, args: string[], io: CliIo): number {
  const { values, positionals } = parseFlags(args, { json: { type: 'boolean' } });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'\n${USAGE}`);
  const tokens: TokenRecord[] = store.listTokens();
  if (values.json) {
    writeLine(io.stdout, JSON.stringify(tokens, null, 2));
    return EXIT_OK;
  }
  if (tokens.length === 0) {
    writeLine(io.stdout, 'no tokens (create one: medic token create --name NAME --role viewer)');
    return EXIT_OK;
  }
  const width = Math.max(4, ...tokens.map((t) => t.name.length));
  writeLine(
    io.stdout,
    `${'NAME'.padEnd(width)}  ROLE      CREATED                   LAST USED                 REVOKED`,
  );
  for (const t of tokens) {
    writeLine(
      io.stdout,
      `${t.name.padEnd(width)}  ${t.role.padEnd(8)}  ${iso(t.createdAt).padEnd(24)}  ${iso(t.lastUsedAt).padEnd(24)}  ${iso(t.revokedAt)}`,
    );
  }
  return EXIT_OK;
}

function revoke(store: Store, args: string[], io: CliIo): number {
  const { positionals } = parseFlags(args, {});
  if (positionals.length !== 1) throw new UsageError(USAGE);
  const name = positionals[0];
  if (!store.revokeToken(name, io.clock.now())) {
    writeLine(io.stderr, `medic token: no active token named '${name}'`);
    return EXIT_INVALID;
  }
  writeLine(io.stdout, `revoked token '${name}'`);
  return EXIT_OK;
}

const VERBS = { create, list, revoke } as const;

export const run: Command = async (args, io) => {
  const [verb, ...rest] = args;
  const action = verb ? VERBS[verb as keyof typeof VERBS] : undefined;
  if (!action) throw new UsageError(USAGE);
  const env = loadEnv(io.env);
  if (env.MEDIC_HUB_DATABASE_URL) return hubTokenCommand(env.MEDIC_HUB_DATABASE_URL, args, io);
  const store = openStore(env.MEDIC_DB);
  try {
    return action(store, rest, io);
  } finally {
    store.close();
  }
};
