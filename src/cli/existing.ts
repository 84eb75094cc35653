/**
 * Longer than ~200 lines on purpose: declarations (every local command's flags and help text)
 * are data, one per line.
 *
 * The local commands (`serve`, `demo`, `contract`, `policy`, `runbook`, `hub`, `token`, `store`) declared for
 * commander: synopsis, every flag with its meaning, operands. Their modules keep their
 * `run(args, io)` shape and receive the argv commander validated (see `argvOf`).
 * A new command in that style is one `leaf(...)` line here.
 */
import type { Command as Commander } from 'commander';
import { argvOf, collect, type ExitSink } from './argv.js';
import type { CliIo, Command } from './io.js';

type Load = () => Promise<{ run: Command }>;
/** A flag: its commander spec, its help text, and `repeat` for a flag given more than once. */
type Flag = [flags: string, description: string, repeat?: 'repeat'];

/**
 * Declares a leaf whose module takes raw args. `prefix` is what the module expects before the
 * flags (the subcommand name for modules that dispatch themselves, e.g. `contract check`).
 */
function leaf(
  parent: Commander,
  spec: { name: string; summary: string; usage?: string; args?: string; flags?: Flag[]; prefix?: string[] },
  load: Load,
  io: CliIo,
  exit: ExitSink,
): Commander {
  const cmd = parent.command(spec.name).description(spec.summary);
  if (spec.usage) cmd.usage(spec.usage);
  if (spec.args) cmd.arguments(spec.args);
  for (const [flags, description, repeat] of spec.flags ?? []) {
    if (repeat) cmd.option(flags, description, collect);
    else cmd.option(flags, description);
  }
  cmd.action(async (...params: unknown[]) => {
    const self = params[params.length - 1] as Commander;
    const { run } = await load();
    exit(await run([...(spec.prefix ?? []), ...argvOf(self)], io));
  });
  return cmd;
}

const CONTRACT_FLAG: Flag = ['--contract <file>', 'runtime contract YAML (default: $MEDIC_CONTRACT)'];
const DB_FLAG: Flag = ['--db <file>', 'SQLite store (default: $MEDIC_DB, ./data/medic.db)'];
const JSON_FLAG: Flag = ['--json', 'print JSON for scripts'];

export function registerExisting(program: Commander, io: CliIo, exit: ExitSink): void {
  const serve = () => import('./commands/serve.js');
  leaf(
    program,
    {
      name: 'serve',
      summary: 'run the watchdog, API and Slack bot (env: see .env.example)',
      usage: '[--contract FILE] [--apply-on-start]',
      flags: [
        CONTRACT_FLAG,
        ['--apply-on-start', "activate the contract's policies when they differ from the active version"],
      ],
    },
    serve,
    io,
    exit,
  );
  leaf(
    program,
    {
      name: 'demo',
      summary: 'run the bundled demo (npm start)',
      usage: '[--duration SEC] [--data DIR]',
      flags: [
        ['--duration <sec>', 'stop after SEC seconds (default: run until Ctrl-C)'],
        ['--data <dir>', 'where the demo keeps its files (default: ./data)'],
      ],
    },
    () => import('./commands/demo.js'),
    io,
    exit,
  );

  const contractModule = () => import('./commands/contract.js');
  const contract = program
    .command('contract')
    .description(
      'contract check|render|init|permissions|polkit: drift gate, renderer, contract from live units, permissions',
    )
    .addHelpText('after', '\nexit: 0 no drift, 1 drift found, 2 invalid contract or unreadable source');
  leaf(
    contract,
    {
      name: 'check',
      summary: 'compare the contract with systemd, the filesystem and the repo (exit 1 on drift)',
      usage: '[--contract FILE] [--json] [--source systemd,fs,repo]',
      flags: [
        CONTRACT_FLAG,
        JSON_FLAG,
        ['--source <list>', 'comma-separated drift sources: systemd, fs, repo'],
      ],
      prefix: ['check'],
    },
    contractModule,
    io,
    exit,
  );
  leaf(
    contract,
    {
      name: 'render',
      summary: 'write systemd drop-ins and runtime.env from the contract',
      usage: '--out DIR [--contract FILE] [--only dropins|env]',
      flags: [
        ['--out <dir>', 'directory to write into (required)'],
        CONTRACT_FLAG,
        ['--only <kind>', 'only `dropins` or only `env`'],
      ],
      prefix: ['render'],
    },
    contractModule,
    io,
    exit,
  );

  leaf(
    contract,
    {
      name: 'init',
      summary: 'write a contract from the live units that match GLOB (read over D-Bus)',
      usage:
        '--units GLOB [--units GLOB…] [--scope system|user] [--out FILE] [--env NAME|PREFIX] [--no-probe] [--force]',
      flags: [
        ['--units <glob>', "unit glob, e.g. 'shop-*.service' (repeat for more)", 'repeat'],
        ['--scope <scope>', 'system (default) or user manager'],
        ['--out <file>', 'write the contract here (default: stdout)'],
        ['--env <name>', 'conda env (name or prefix) the contract names (default: the most used)'],
        ['--no-probe', 'do not probe proposed health URLs on loopback'],
        ['--force', 'overwrite --out'],
      ],
      prefix: ['init'],
    },
    contractModule,
    io,
    exit,
  );
  leaf(
    contract,
    {
      name: 'permissions',
      summary: "may medic (this user, this bus) manage the contract's units? (exit 2 when not)",
      usage: '[--contract FILE] [--json]',
      flags: [CONTRACT_FLAG, JSON_FLAG],
      prefix: ['permissions'],
    },
    contractModule,
    io,
    exit,
  );
  leaf(
    contract,
    {
      name: 'polkit',
      summary: "print the polkit rule that lets medic's user manage the contract's units",
      usage: '[--contract FILE] [--user NAME]',
      flags: [CONTRACT_FLAG, ['--user <name>', 'the user medic runs as (default: the current user)']],
      prefix: ['polkit'],
    },
    contractModule,
    io,
    exit,
  );
  leaf(
    program,
    {
      name: 'install',
      summary: 'install medic as a systemd service for a contract (contract check is the gate)',
      usage:
        '[--contract FILE] [--scope system|user] [--dry-run] [--unit NAME] [--host ADDR] [--port N] [--ready-timeout SEC]',
      flags: [
        CONTRACT_FLAG,
        ['--scope <scope>', "system or user (default: the contract's supervisor.scope)"],
        ['--dry-run', 'print every folder, file and command instead'],
        ['--unit <name>', "medic's unit name (default medic.service)"],
        ['--host <addr>', 'MEDIC_HOST for the service (default 127.0.0.1)'],
        ['--port <n>', 'MEDIC_PORT for the service (default 4000)'],
        ['--ready-timeout <sec>', 'wait this long for /readyz 200 (default 60)'],
      ],
    },
    () => import('./commands/install.js'),
    io,
    exit,
  );
  leaf(
    program,
    {
      name: 'uninstall',
      summary: "remove medic's systemd service (--purge: also its env file and store)",
      usage: '[--scope system|user] [--unit NAME] [--purge]',
      flags: [
        ['--scope <scope>', 'system or user (default: where the unit is installed)'],
        ['--unit <name>', "medic's unit name (default medic.service)"],
        ['--purge', 'also remove the env file and the store'],
      ],
    },
    () => import('./commands/uninstall.js'),
    io,
    exit,
  );

  const policy = program.command('policy').description('policy check|simulate|diff|apply|rollback|report');
  leaf(
    policy,
    {
      name: 'check',
      summary: 'validate a policy file (the shapes `policy apply` accepts)',
      usage: 'FILE',
      args: '[file...]',
    },
    () => import('./policy/check.js'),
    io,
    exit,
  );
  leaf(
    policy,
    {
      name: 'simulate',
      summary: 'replay recorded inputs through decide() under a policy',
      usage: '--policy FILE --input FILE|- [--policy-name NAME] [--explain]',
      flags: [
        ['--policy <file>', 'policy file or contract'],
        ['--input <file>', 'JSON lines of inputs, or - for stdin'],
        ['--policy-name <name>', "which of a contract's policies"],
        ['--explain', 'explain every decision'],
      ],
    },
    () => import('./policy/simulate.js'),
    io,
    exit,
  );
  leaf(
    policy,
    {
      name: 'diff',
      summary: 'compare a candidate with the active policy version',
      usage: 'FILE [--db FILE] [--json]',
      args: '[file...]',
      flags: [DB_FLAG, JSON_FLAG],
    },
    () => import('./policy/diff.js'),
    io,
    exit,
  );
  leaf(
    policy,
    {
      name: 'apply',
      summary: 'replay recent inputs under the candidate; with --yes, activate it',
      usage: 'FILE [--days N] [--reason TEXT --yes] [--json]',
      args: '[file...]',
      flags: [
        ['--days <n>', 'days of recorded inputs to replay (default 7)'],
        ['--reason <text>', 'why (required with --yes; audited)'],
        ['--yes', 'activate the candidate (otherwise a dry run)'],
        DB_FLAG,
        ['--author <name>', 'recorded author (default: $USER)'],
        JSON_FLAG,
      ],
    },
    () => import('./policy/apply.js'),
    io,
    exit,
  );
  leaf(
    policy,
    {
      name: 'rollback',
      summary: 'reactivate the previous (or a given) policy version',
      usage: '[--to N] --reason TEXT | --list',
      flags: [
        ['--to <n>', 'version to reactivate (default: the previous one)'],
        ['--reason <text>', 'why (audited)'],
        ['--list', 'list versions instead'],
        DB_FLAG,
        ['--author <name>', 'recorded author (default: $USER)'],
      ],
    },
    () => import('./policy/rollback.js'),
    io,
    exit,
  );
  leaf(
    policy,
    {
      name: 'report',
      summary: "a service's decisions under the active policy (and a shadow one)",
      usage: '--service NAME [--days N] [--shadow FILE]',
      flags: [
        ['--service <name>', 'the service (required)'],
        ['--days <n>', 'days to cover (default 7)'],
        ['--shadow <file>', 'compare with this policy file'],
        DB_FLAG,
        JSON_FLAG,
      ],
    },
    () => import('./policy/report.js'),
    io,
    exit,
  );

  leaf(
    program,
    {
      name: 'runbook',
      summary: 'render the operator runbook',
      usage: '[--contract FILE] [--format md|html] [--out FILE] [--db FILE]',
      flags: [
        CONTRACT_FLAG,
        ['--format <format>', 'md or html (default: from --out, else md)'],
        ['--out <file>', 'write here instead of stdout'],
        DB_FLAG,
      ],
    },
    () => import('./commands/runbook.js'),
    io,
    exit,
  );

  const hubModule = () => import('./commands/hub.js');
  const hub = leaf(
    program,
    {
      name: 'hub',
      summary: 'run the fleet hub over PostgreSQL (env: MEDIC_HUB_DATABASE_URL; docs/FLEET.md)',
      usage: '| hub token create --node NODE [--name NAME]',
    },
    hubModule,
    io,
    exit,
  );
  leaf(
    hub.command('token').description('agent tokens, stored hashed in the hub database'),
    {
      name: 'create',
      summary: 'create an agent token bound to one node and print it once (last line of stdout)',
      usage: '--node NODE [--name NAME]',
      flags: [
        ['--node <node>', 'the node (MEDIC_NODE_NAME of the agent) the token may ship for'],
        ['--name <name>', 'unique token name (default agent-NODE)'],
      ],
      prefix: ['token', 'create'],
    },
    hubModule,
    io,
    exit,
  );

  const tokenModule = () => import('./commands/token.js');
  const token = program
    .command('token')
    .description("token create|list|revoke: API bearer tokens (the hub's, with MEDIC_HUB_DATABASE_URL set)");
  leaf(
    token,
    {
      name: 'create',
      summary: 'create a token and print it once (last line of stdout)',
      usage: '--name NAME --role viewer|operator|admin|bot | --role agent --node NODE (hub)',
      flags: [
        ['--name <name>', 'unique name, recorded as the actor of its actions'],
        ['--role <role>', 'viewer, operator, admin or bot; agent (hub only: MEDIC_HUB_DATABASE_URL)'],
        ['--node <node>', 'with --role agent: the node (MEDIC_NODE_NAME) the agent token ships for'],
      ],
      prefix: ['create'],
    },
    tokenModule,
    io,
    exit,
  );
  leaf(
    token,
    { name: 'list', summary: 'list tokens', usage: '[--json]', flags: [JSON_FLAG], prefix: ['list'] },
    tokenModule,
    io,
    exit,
  );
  leaf(
    token,
    {
      name: 'revoke',
      summary: 'revoke a token by name',
      usage: 'NAME',
      args: '[name...]',
      prefix: ['revoke'],
    },
    tokenModule,
    io,
    exit,
  );

  const storeModule = () => import('./commands/store.js');
  const store = program
    .command('store')
    .description('store backup|check: copy a live store, check its integrity')
    .addHelpText('after', '\nexit: 0 ok, 1 damaged (check), 2 invalid input or the store cannot be read');
  leaf(
    store,
    {
      name: 'backup',
      summary: 'consistent copy of $MEDIC_DB (SQLite online backup), also while medic serve runs',
      usage: 'FILE',
      args: '[file...]',
      prefix: ['backup'],
    },
    storeModule,
    io,
    exit,
  );
  leaf(
    store,
    {
      name: 'check',
      summary: 'quick_check of $MEDIC_DB (writes nothing)',
      usage: '[--full]',
      flags: [['--full', 'integrity_check instead of quick_check (slower, also checks indexes)']],
      prefix: ['check'],
    },
    storeModule,
    io,
    exit,
  );
}
