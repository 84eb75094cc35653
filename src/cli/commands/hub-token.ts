/**
 * `medic token create|list|revoke` against the fleet hub's PostgreSQL (MEDIC_HUB_DATABASE_URL set):
 * the same verbs, names and roles as on a single host (src/cli/commands/token.ts), plus
 * `--role agent --node NAME` (an agent token: it ships for NAME and receives NAME's commands,
 * nothing else). The secret is printed ONCE as the last line of stdout; the hub keeps its sha256.
 * Migrations are applied first (the hub's own start does the same). Exit codes: 0 ok, 2 invalid
 * input, name taken, unknown token, or the database unreachable.
 */
import { HUB_TOKEN_ROLES, isHubTokenRole } from '../../core/roles.js';
import { migrateHub, openHubDatabase } from '../../hub/db.js';
import { createHubToken, HubTokenError, listHubTokens, revokeHubToken } from '../../hub/tokens.js';
import { type CliIo, EXIT_INVALID, EXIT_OK, parseFlags, UsageError, writeLine } from '../io.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const NODE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
export const HUB_TOKEN_USAGE = `usage (hub, MEDIC_HUB_DATABASE_URL set):
       medic token create --name NAME --role ${HUB_TOKEN_ROLES.join('|')} [--node NODE (agent only)]
       medic token list [--json]
       medic token revoke NAME`;

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

export async function hubTokenCommand(databaseUrl: string, args: string[], io: CliIo): Promise<number> {
  const [verb, ...rest] = args;
  if (verb !== 'create' && verb !== 'list' && verb !== 'revoke') throw new UsageError(HUB_TOKEN_USAGE);
  const { values, positionals } = parseFlags(rest, {
    name: { type: 'string' },
    role: { type: 'string' },
    node: { type: 'string' },
    json: { type: 'boolean' },
  });
  // Validate the arguments before touching the database.
  if (verb === 'create') {
    if (positionals.length > 0)
      throw new UsageError(`unexpected argument '${positionals[0]}'\n${HUB_TOKEN_USAGE}`);
    if (!values.name || !NAME.test(values.name))
      throw new UsageError(`--name must match ${NAME.source}\n${HUB_TOKEN_USAGE}`);
    if (!values.role || !isHubTokenRole(values.role))
      throw new UsageError(`--role must be one of ${HUB_TOKEN_ROLES.join(', ')}`);
    if (values.role === 'agent' && (!values.node || !NODE.test(values.node)))
      throw new UsageError(`--role agent needs --node NAME (${NODE.source})`);
    if (values.role !== 'agent' && values.node !== undefined)
      throw new UsageError('--node is for --role agent only');
  }
  if (verb === 'revoke' && positionals.length !== 1) throw new UsageError(HUB_TOKEN_USAGE);
  const database = openHubDatabase(databaseUrl);
  try {
    await migrateHub(database.pool);
    const now = io.clock.now();
    if (verb === 'create') {
      const role = values.role as (typeof HUB_TOKEN_ROLES)[number];
      const secret = await createHubToken(database.db, values.name!, role, values.node ?? null, now);
      writeLine(
        io.stderr,
        `created hub token '${values.name}' with role ${role}${values.node ? ` for node ${values.node}` : ''}; it is shown once (next line), store it now`,
      );
      writeLine(io.stdout, secret);
      return EXIT_OK;
    }
    if (verb === 'revoke') {
      if (!(await revokeHubToken(database.db, positionals[0]!, now))) {
        writeLine(io.stderr, `medic token: no active hub token named '${positionals[0]}'`);
        return EXIT_INVALID;
      }
      writeLine(io.stdout, `revoked hub token '${positionals[0]}'`);
      return EXIT_OK;
    }
    const tokens = await listHubTokens(database.db);
    if (values.json) {
      writeLine(io.stdout, JSON.stringify(tokens, null, 2));
      return EXIT_OK;
    }
    const width = Math.max(4, ...tokens.map((t) => t.name.length));
    writeLine(
      io.stdout,
      `${'NAME'.padEnd(width)}  ROLE      NODE                  CREATED                   LAST USED                 REVOKED`,
    );
    for (const t of tokens) {
      writeLine(
        io.stdout,
        `${t.name.padEnd(width)}  ${t.role.padEnd(8)}  ${(t.node ?? '-').padEnd(20)}  ${iso(t.createdAt).padEnd(24)}  ${iso(t.lastUsedAt).padEnd(24)}  ${iso(t.revokedAt)}`,
      );
    }
    return EXIT_OK;
  } catch (err) {
    if (err instanceof HubTokenError) {
      writeLine(io.stderr, `medic token: ${err.message}`);
      return EXIT_INVALID;
    }
    writeLine(io.stderr, `medic token: the hub database is unreachable or failed: ${(err as Error).message}`);
    return EXIT_INVALID;
  } finally {
    await database.close();
  }
}
