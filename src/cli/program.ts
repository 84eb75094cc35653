/**
 * The `medic` command tree, parsed by commander: `--version`, `--help` for every command and
 * subcommand (each flag explained), did-you-mean for mistyped commands and flags, and one error
 * style (`error: …`, exit 2) across all of them. Commands still live in `commands/<name>.ts`,
 * `policy/<sub>.ts` and `ops/<name>.ts` and are loaded only when run.
 *
 * A leaf declared with `raw` hands the command module the argv commander has already validated
 * (flags rebuilt in their long form, then the operands), so modules written as `run(args, io)`
 * keep working unchanged; `ops/` commands take commander's parsed options directly.
 */
import { Command as Commander, CommanderError } from 'commander';
import type { ExitSink } from './argv.js';
import { registerExisting } from './existing.js';
import { type CliIo, EXIT_INVALID, EXIT_OK } from './io.js';
import { registerOps } from './ops/register.js';

export function buildProgram(io: CliIo, version: string, exit: ExitSink): Commander {
  const program = new Commander('medic')
    .description('keeps systemd services healthy without restart storms')
    .version(version, '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show help for a command')
    .helpCommand('help [command]', 'show help for a command')
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .configureHelp({
      styleTitle: (title) => title.toLowerCase(),
      sortSubcommands: false,
      showGlobalOptions: true,
    })
    .exitOverride();
  registerExisting(program, io, exit);
  registerOps(program, io, exit);
  // Subcommands created with .command() inherit output, errors, help and suggestions.
  return program;
}

/** Exit code for a commander error: help and version are success, anything else invalid input. */
export function exitCodeOf(err: CommanderError): number {
  return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? EXIT_OK : EXIT_INVALID;
}

export { CommanderError };
