/**
 * `medic serve [--contract FILE] [--apply-on-start]`: runs the watchdog (and the HTTP endpoints) until SIGTERM or
 * SIGINT, then shuts down gracefully. Exit codes: 0 after a clean shutdown; 2 when the contract
 * is invalid, the configuration is wrong, another medic already serves the same database file,
 * the store is unusable or damaged, or the address cannot be bound.
 */

import { loadEnv } from '../../config/env.js';
import { contractPath } from '../../contract/load.js';
import { createLogger } from '../../log.js';
import { ListenError } from '../../serve/http.js';
import { startServe } from '../../serve/serve.js';
import { type Command, EnvironmentError, EXIT_OK, noExtraArgs, parseFlags, UsageError } from '../io.js';

/** Resolves on the first SIGTERM/SIGINT; a second one while shutting down is ignored. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      // Keep swallowing repeated signals so a double Ctrl-C does not kill a shutdown midway.
      process.on(sig, () => {});
      resolve(sig);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

export const run: Command = async (args, io) => {
  const { values, positionals } = parseFlags(args, {
    contract: { type: 'string' },
    'apply-on-start': { type: 'boolean', default: false },
  });
  noExtraArgs(positionals);
  const env = loadEnv(io.env);
  const file = contractPath(values.contract, env.MEDIC_CONTRACT, io.cwd);
  if (!file) throw new UsageError('no contract: pass --contract FILE or set MEDIC_CONTRACT');
  const logger = createLogger(env.LOG_LEVEL);
  // Expected start-up failures (contract, store, lock, address) become one message and exit 2 (main.ts).
  const server = await startServe({
    env,
    contractPath: file,
    logger,
    clock: io.clock,
    applyOnStart: values['apply-on-start'],
  }).catch((err: unknown) => {
    throw err instanceof ListenError ? new EnvironmentError(err.message, { cause: err }) : err;
  });
  const sig = await untilSignal();
  logger.info({ signal: sig }, `received ${sig}`);
  await server.close();
  return EXIT_OK;
};
