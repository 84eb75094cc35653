/**
 * `medic contract init --units GLOB [--units GLOB…] [--scope system|user] [--out FILE]
 *  [--env NAME|PREFIX] [--no-probe] [--force]`
 *
 * Reads the matching units from live systemd (D-Bus), infers a contract (src/contract/init) and
 * writes it to FILE (refusing to overwrite without --force) or stdout. A summary goes to stderr:
 * services, the units left out with their reasons, health URLs proposed but not verified.
 * Exit codes: 0 written; 1 no unit runs Python from a conda prefix (nothing to write);
 * 2 bad flags, the manager unreachable, or FILE exists.
 */
import { access, mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { realHost } from '../../adopt/init/host.js';
import { planContract } from '../../adopt/init/plan.js';
import { readUnits, UnitReadError } from '../../adopt/init/read-units.js';
import { loadEnv } from '../../config/env.js';
import { parseContract } from '../../contract/load.js';
import { shellQuote } from '../../contract/quote.js';
import {
  type Command,
  EXIT_FINDING,
  EXIT_INVALID,
  EXIT_OK,
  parseFlags,
  UsageError,
  writeLine,
} from '../io.js';

export const INIT_USAGE =
  'medic contract init --units GLOB [--units GLOB…] [--scope system|user] [--out FILE] [--env NAME|PREFIX] [--no-probe] [--force]';

export const init: Command = async (args, io) => {
  const { values, positionals } = parseFlags(args, {
    units: { type: 'string', multiple: true },
    scope: { type: 'string', default: 'system' },
    out: { type: 'string' },
    env: { type: 'string' },
    'no-probe': { type: 'boolean', default: false },
    force: { type: 'boolean', default: false },
  });
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument '${positionals[0]}'\nusage: ${INIT_USAGE}`);
  const patterns = values.units ?? [];
  if (patterns.length === 0)
    throw new UsageError(`init needs --units GLOB (e.g. 'shop-*.service')\nusage: ${INIT_USAGE}`);
  const scope = values.scope;
  if (scope !== 'system' && scope !== 'user')
    throw new UsageError(`--scope takes system or user (got '${scope}')`);
  const env = loadEnv(io.env);
  const out = values.out ? resolve(io.cwd, values.out) : null;
  if (
    out &&
    !values.force &&
    (await access(out).then(
      () => true,
      () => false,
    ))
  ) {
    writeLine(io.stderr, `medic contract init: ${out} exists (pass --force to overwrite)`);
    return EXIT_INVALID;
  }

  let units: Awaited<ReturnType<typeof readUnits>>;
  try {
    units = await readUnits(patterns, {
      scope,
      runtimeDir: env.XDG_RUNTIME_DIR,
      busAddress: env.MEDIC_DBUS_ADDRESS,
    });
  } catch (err) {
    if (err instanceof UnitReadError) {
      writeLine(io.stderr, `medic contract init: ${err.message}`);
      return EXIT_INVALID;
    }
    throw err;
  }
  const commandLine = [
    'medic contract init',
    ...patterns.map((p) => `--units ${shellQuote(p)}`),
    `--scope ${scope}`,
    ...(values.env ? [`--env ${shellQuote(values.env)}`] : []),
  ].join(' ');
  const plan = await planContract(units, realHost(), {
    scope,
    callerEnv: io.env,
    probe: !values['no-probe'],
    ...(values.env ? { env: values.env } : {}),
    commandLine,
  });

  const say = (line: string) => writeLine(io.stderr, line);
  if (units.length === 0) say(`no unit matches ${patterns.join(' ')} in the ${scope} manager`);
  for (const e of plan.excluded) say(`left out ${e.unit}: ${e.reason}`);
  if (!plan.text) {
    say('medic contract init: no unit runs Python from a conda prefix; nothing written');
    return EXIT_FINDING;
  }
  // The generated text must be a valid contract; anything else is a bug in init, not the host.
  parseContract(plan.text, out ?? 'contract.yaml');
  if (out) {
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, plan.text);
  } else io.stdout.write(plan.text);
  const proposed = plan.services.filter((s) => s.health && !s.health.verified);
  say(
    `${out ? `wrote ${out}` : 'contract on stdout'}: ${plan.services.length} service(s) in conda env '${plan.conda!.env}' (python ${plan.python}), ${plan.excluded.length} left out`,
  );
  for (const s of proposed) say(`  ${s.name}: health URL proposed as a comment (${s.health!.tried})`);
  say(`next: review it, then  medic contract check --contract ${shellQuote(out ?? 'FILE')}`);
  return EXIT_OK;
};
