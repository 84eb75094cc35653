/**
 * The operator commands, all over the API (one path for commands: GraphQL → engine → decide()):
 * `status`, `hold`, `release`, `approve`, `force`, `reset`, `events`, `drift`, `maintenance`,
 * `budget`. Each
 * takes `--url URL` (default $MEDIC_URL, http://127.0.0.1:4000), `--token-file FILE` (default
 * $MEDIC_TOKEN) and `--node NAME` (the same commands against the fleet hub: MEDIC_URL = the hub).
 * Exit codes: 0 ok, 1 refused or drift found, 2 invalid input, unreachable or
 * refused token.
 */
import type { Command as Commander } from 'commander';
import type { ExitSink } from '../argv.js';
import { type CliIo, writeLine } from '../io.js';
import { OpsError } from './client.js';
import type { TargetFlags } from './target.js';

type Run = (
  target: import('./client.js').OpsTarget,
  flags: Record<string, unknown>,
  cmd: Commander,
) => Promise<number>;

function ops(
  parent: Commander,
  name: string,
  summary: string,
  io: CliIo,
  exit: ExitSink,
  run: Run,
): Commander {
  return parent
    .command(name)
    .description(summary)
    .option('--url <url>', 'medic API base URL (default: $MEDIC_URL or http://127.0.0.1:4000)')
    .option('--node <name>', 'the node (at a fleet hub; required when several nodes run the name)')
    .option('--token-file <file>', 'file holding the bearer token (default: $MEDIC_TOKEN)')
    .action(async (...params: unknown[]) => {
      const cmd = params[params.length - 1] as Commander;
      const flags = cmd.opts<Record<string, unknown>>();
      const { targetOf } = await import('./target.js');
      const target = await targetOf(flags as TargetFlags, io);
      try {
        exit(await run(target, flags, cmd));
      } catch (err) {
        if (!(err instanceof OpsError)) throw err;
        const label = parent.parent ? `${parent.name()} ${name}` : name;
        writeLine(io.stderr, `medic ${label}: ${err.message}`);
        exit(err.exitCode);
      }
    });
}

const REASON = '--reason <text>';
const REASON_HELP = 'why (required; recorded in the audit log with your token name)';

export function registerOps(program: Commander, io: CliIo, exit: ExitSink): void {
  ops(
    program,
    'status',
    'show every service, or one in detail (over the API)',
    io,
    exit,
    async (target, flags, cmd) => {
      const { status } = await import('./status.js');
      return status(target, cmd.args[0], flags.json === true, io, flags.node as string | undefined);
    },
  )
    .argument('[service]', 'one service in detail')
    .option('--json', 'print the API answer as JSON');

  ops(
    program,
    'hold',
    'stop automatic restarts of a service for a while',
    io,
    exit,
    async (target, flags, cmd) => {
      const { act } = await import('./act.js');
      return act(
        target,
        'hold',
        cmd.args[0],
        { reason: String(flags.reason), for: String(flags.for), node: flags.node as string | undefined },
        io,
      );
    },
  )
    .argument('<service>', 'the service')
    .requiredOption('--for <duration>', 'how long: 90s, 30m, 2h, 1d')
    .requiredOption(REASON, REASON_HELP);

  const simple = [
    ['release', 'release a hold: automatic restarts resume'],
    ['approve', 'approve one probe restart while the circuit is open'],
    ['force', 'restart now regardless of guards (admin; counted as churn)'],
    ['reset', 'reset the circuit breaker'],
  ] as const;
  for (const [action, summary] of simple) {
    ops(program, action, summary, io, exit, async (target, flags, cmd) => {
      const { act } = await import('./act.js');
      return act(
        target,
        action,
        cmd.args[0],
        { reason: String(flags.reason), node: flags.node as string | undefined },
        io,
      );
    })
      .argument('<service>', 'the service')
      .requiredOption(REASON, REASON_HELP);
  }

  ops(
    program,
    'events',
    'the audit log; --follow streams new events (Ctrl-C ends)',
    io,
    exit,
    async (target, flags) => {
      const { events } = await import('./events.js');
      return events(target, flags, io);
    },
  )
    .option('--service <name>', 'only this service')
    .option('--since <when>', 'from this long ago (30m, 2h, 7d) or an ISO time')
    .option('--limit <n>', 'at most N past events (1..500, default 20)')
    .option('--follow', 'keep printing events as they are committed')
    .option('--json', 'one JSON object per line');

  ops(
    program,
    'drift',
    "the runtime contract's drift as medic last checked it",
    io,
    exit,
    async (target, flags) => {
      const { drift } = await import('./drift.js');
      return drift(target, flags, io);
    },
  )
    .option('--check', 'check now (operator role)')
    .option('--json', 'print the report as JSON');

  ops(
    program,
    'budget',
    'fleet restart budget groups: in flight, used in the window, waiting services',
    io,
    exit,
    async (target, flags, cmd) => {
      const { budget } = await import('./budget.js');
      return budget(target, cmd.args[0], flags.json === true, io);
    },
  )
    .argument('[group]', 'one group, with its waiting services')
    .option('--json', 'print the groups as JSON');

  registerMaintenance(program, io, exit);
}

/** `medic maintenance add|list|cancel` (ops/maintenance.ts). */
function registerMaintenance(program: Commander, io: CliIo, exit: ExitSink): void {
  const parent = program
    .command('maintenance')
    .description(
      'ad hoc maintenance windows: hold or shadow automatic restarts for a while (at a fleet hub: --node)',
    );
  ops(parent, 'add', 'schedule a window (operator)', io, exit, async (target, flags) => {
    const { addWindow } = await import('./maintenance.js');
    return addWindow(target, flags as Parameters<typeof addWindow>[1], io);
  })
    .option('--services <names>', 'comma-separated services (default: every service)')
    .option('--for <duration>', 'how long: 30m, 2h, 1d')
    .option('--until <time>', 'instead of --for: the end, an ISO time')
    .option('--from <time>', 'the start, an ISO time (default: now)')
    .option('--mode <mode>', 'hold (no automatic restarts, default) or shadow (recorded, not executed)')
    .option(
      '--notify',
      'send escalations and new Slack incidents during the window, marked (default: suppressed)',
    )
    .requiredOption(REASON, REASON_HELP);
  ops(
    parent,
    'list',
    'windows in force now or to come (contract and ad hoc)',
    io,
    exit,
    async (target, flags) => {
      const { listWindows } = await import('./maintenance.js');
      return listWindows(target, flags as Parameters<typeof listWindows>[1], io);
    },
  )
    .option('--service <name>', 'only windows covering this service')
    .option('--json', 'print the windows as JSON');
  ops(parent, 'cancel', 'end an ad hoc window now (operator)', io, exit, async (target, flags, cmd) => {
    const { cancelWindow } = await import('./maintenance.js');
    return cancelWindow(target, cmd.args[0]!, flags as Parameters<typeof cancelWindow>[2], io);
  })
    .argument('<id>', 'the window id: 3, adhoc:3 or adhoc-3')
    .option(REASON, 'why (recorded in the audit log)');
}
