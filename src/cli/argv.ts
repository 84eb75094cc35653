/**
 * What the command declarations share: the exit-code sink a leaf's action reports to, and
 * `argvOf`, the argv a `run(args, io)` module expects, rebuilt from what commander parsed
 * (flags in their long form, then the operands).
 *
 * The rebuild keeps everything the user said: a repeatable flag (declared with `collect`) comes
 * back once per value, in order; a negated flag (`--no-probe`) given on the command line comes
 * back as itself. Defaults are never added, so the module applies its own.
 */
import type { Command as Commander, Option } from 'commander';

/** Receives a leaf's exit code. */
export type ExitSink = (code: number) => void;

/** commander argParser for a flag that may be given more than once: collects the values in order. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function argvOf(cmd: Commander): string[] {
  const argv: string[] = [];
  for (const option of cmd.options as readonly Option[]) {
    const name = option.attributeName();
    const value = cmd.getOptionValue(name);
    const source = cmd.getOptionValueSource(name);
    if (value === undefined || source === 'default' || source === undefined || !option.long) continue;
    if (option.negate) {
      // `--no-x` stores x=false; the module declares the flag under its negated name.
      if (value === false) argv.push(option.long);
    } else if (value === true) argv.push(option.long);
    else if (Array.isArray(value)) for (const v of value) argv.push(option.long, String(v));
    else if (value !== false) argv.push(option.long, String(value));
  }
  return [...argv, ...cmd.args];
}
