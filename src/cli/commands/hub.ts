/**
 * `medic hub`: runs the fleet hub over PostgreSQL (MEDIC_HUB_DATABASE_URL) until SIGTERM/SIGINT.
 * `medic hub token create --node NODE [--name NAME]`: creates an agent token bound to NODE in
 * the hub's database (migrations applied first) and prints it ONCE as the last line of stdout.
 * Exit codes: 0 ok; 2 configuration (no database URL, database unreachable) or invalid input.
 */
import { loadEnv } from '../../config/env.js';
import { migrateHub, openHubDatabase } from '../../hub/db.js';
import { HubConfigError, startHub } from '../../hub/hub.js';
import { createAgentToken } from '../../hub/tokens.js';
import { createLogger } from '../../log.js';
import { type CliIo, type Command, EXIT_INVALID, EXIT_OK, parseFlags, UsageError, writeLine } from '../io.js';
import { untilSignal } from './serve.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const USAGE = 'usage: medic hub\n       medic hub token create --node NODE [--name NAME]';

async function tokenCreate(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(args, { node: { type: 'string' }, name: { type: 'string' } });
  const node = values.node;
  if (!node || !NAME.test(node)) throw new UsageError(`--node must match ${NAME.source}\n${USAGE}`);
  const name = values.name ?? `agent-${node}`;
  if (!NAME.test(name)) throw new UsageError(`--name must match ${NAME.source}`);
  const env = loadEnv(io.env);
  if (!env.MEDIC_HUB_DATABASE_URL) {
    writeLine(io.stderr, 'medic hub: MEDIC_HUB_DATABASE_URL is not set');
    return EXIT_INVALID;
  }
  const database = openHubDatabase(env.MEDIC_HUB_DATABASE_URL);
  try {
    await migrateHub(database.pool);
    const secret = await createAgentToken(database.db, name, node, io.clock.now());
    writeLine(io.stdout, `agent token '${name}' for node ${node} (shown once; set it as MEDIC_HUB_TOKEN):`);
    writeLine(io.stdout, secret);
    return EXIT_OK;
  } catch (err) {
    const code = (err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code;
    if (code === '23505') {
      writeLine(io.stderr, `medic hub: a token named '${name}' already exists`);
      return EXIT_INVALID;
    }
    writeLine(io.stderr, `medic hub: ${(err as Error).message}`);
    return EXIT_INVALID;
  } finally {
    await database.close();
  }
}

export const run: Command = async (args, io) => {
  if (args[0] === 'token') {
    if (args[1] !== 'create') throw new UsageError(USAGE);
    return tokenCreate(args.slice(2), io);
  }
  if (args.length > 0) throw new UsageError(`unexpected argument '${args[0]}'\n${USAGE}`);
  const env = loadEnv(io.env);
  const logger = createLogger(env.LOG_LEVEL);
  let hub: Awaited<ReturnType<typeof startHub>>;
  try {
    hub = await startHub({ env, logger, clock: io.clock });
  } catch (err) {
    writeLine(
      io.stderr,
      `medic hub: ${err instanceof HubConfigError ? err.message : (err as Error).message}`,
    );
    return EXIT_INVALID;
  }
  const sig = await untilSignal();
  logger.info({ signal: sig }, `received ${sig}`);
  await hub.close();
  return EXIT_OK;
};
