/**
 * `medic` command dispatcher. Each command lives in `commands/<name>.ts` and is loaded
 * lazily, so `medic policy check` never opens the store or loads GraphQL.
 */
import { systemClock } from '../clock/clock.js';
import { ConfigError } from '../config/env.js';
import { type CliIo, type Command, EXIT_INVALID, UsageError, writeLine } from './io.js';

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run: Command }> }> = {
  serve: { summary: 'run the watchdog, API and Slack bot', load: () => import('./commands/serve.js') },
  demo: { summary: 'run the bundled demo (npm start)', load: () => import('./commands/demo.js') },
  contract: {
    summary: 'contract check|render: drift gate and renderer',
    load: () => import('./commands/contract.js'),
  },
  policy: {
    summary: 'policy check|simulate|diff|apply|rollback|report',
    load: () => import('./commands/policy.js'),
  },
  runbook: { summary: 'render the operator runbook', load: () => import('./commands/runbook.js') },
  token: {
    summary: 'token create|list|revoke: API bearer tokens',
    load: () => import('./commands/token.js'),
  },
};

/** Per-command synopsis for `medic <command> --help` (details: README and docs/). */
const HELP: Record<string, string> = {
  serve: 'usage: medic serve [--contract FILE] [--apply-on-start]   (env: see .env.example)',
  demo: 'usage: medic demo [--duration SEC] [--data DIR]',
  contract:
    'usage: medic contract check [--contract FILE] [--json] [--source systemd,fs,repo]\n' +
    '       medic contract render --out DIR [--contract FILE] [--only dropins|env]\n' +
    'exit: 0 no drift, 1 drift found, 2 invalid contract or unreadable source',
  policy:
    'usage: medic policy check FILE\n' +
    '       medic policy simulate --policy FILE --input FILE|- [--policy-name NAME] [--explain]\n' +
    '       medic policy diff FILE\n' +
    '       medic policy apply FILE [--days N] [--reason TEXT --yes] [--json]\n' +
    '       medic policy rollback [--to N] --reason TEXT | --list\n' +
    '       medic policy report --service NAME [--days N] [--shadow FILE]',
  runbook: 'usage: medic runbook [--contract FILE] [--format md|html] [--out FILE] [--db FILE]',
  token:
    'usage: medic token create --name NAME --role viewer|operator|admin\n' +
    '       medic token list [--json]\n' +
    '       medic token revoke NAME',
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: medic <command> [options]\n\ncommands:\n${lines.join('\n')}`;
}

export async function main(argv: string[], io?: Partial<CliIo>): Promise<number> {
  const full: CliIo = {
    stdout: io?.stdout ?? process.stdout,
    stderr: io?.stderr ?? process.stderr,
    stdin: io?.stdin ?? process.stdin,
    env: io?.env ?? process.env,
    cwd: io?.cwd ?? process.cwd(),
    clock: io?.clock ?? systemClock,
  };
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    writeLine(name ? full.stdout : full.stderr, usage());
    return name ? 0 : EXIT_INVALID;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    writeLine(full.stderr, `medic: unknown command '${name}'\n${usage()}`);
    return EXIT_INVALID;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    writeLine(full.stdout, `medic ${name}: ${entry.summary}\n${HELP[name] ?? ''}`.trimEnd());
    return 0;
  }
  try {
    const { run } = await entry.load();
    return await run(rest, full);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof UsageError) {
      writeLine(full.stderr, `medic ${name}: ${err.message}`);
      return EXIT_INVALID;
    }
    throw err;
  }
}
