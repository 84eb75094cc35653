/**
 * `medic` entry: builds the command tree (src/cli/program.ts, commander) and runs it with the
 * given streams and environment. Returns the exit code, never calls process.exit:
 * 0 ok (and --help, --version), 1 a finding or a refused action, 2 invalid input or configuration.
 * Commands are loaded lazily, so `medic policy check` never opens the store or loads GraphQL.
 */
import { systemClock } from '../clock/clock.js';
import { ConfigError } from '../config/env.js';
import { ContractError } from '../contract/types.js';
import { StoreError } from '../store/errors.js';
import { type CliIo, EnvironmentError, EXIT_INVALID, UsageError, writeLine } from './io.js';
import { buildProgram, CommanderError, exitCodeOf } from './program.js';
import { VERSION } from './version.js';

/**
 * Expected failures: invalid input, configuration or environment. Each is one clear message
 * and exit 2; the stack trace only with LOG_LEVEL=debug (anything else is a bug and throws).
 */
const EXPECTED = [ConfigError, UsageError, ContractError, StoreError, EnvironmentError];

export async function main(argv: string[], io?: Partial<CliIo>): Promise<number> {
  const full: CliIo = {
    stdout: io?.stdout ?? process.stdout,
    stderr: io?.stderr ?? process.stderr,
    stdin: io?.stdin ?? process.stdin,
    env: io?.env ?? process.env,
    cwd: io?.cwd ?? process.cwd(),
    signal: io?.signal,
    clock: io?.clock ?? systemClock,
  };
  let code = 0;
  const program = buildProgram(full, VERSION, (c) => {
    code = c;
  });
  if (argv.length === 0) {
    // Bare `medic`: the overview on stderr, as a usage error.
    writeLine(full.stderr, program.helpInformation().trimEnd());
    return EXIT_INVALID;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return exitCodeOf(err);
    if (EXPECTED.some((E) => err instanceof E)) {
      writeLine(full.stderr, `medic ${argv[0]}: ${(err as Error).message}`);
      if (full.env.LOG_LEVEL === 'debug') {
        const e = err as Error;
        writeLine(full.stderr, String(e.cause instanceof Error ? e.cause.stack : e.stack));
      }
      return EXIT_INVALID;
    }
    throw err;
  }
}
