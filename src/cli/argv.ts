/**
 * What the command declarations share: the exit-code sink a leaf's action reports to, and
 * `argvOf`, the argv a `run(args, io)` module expects, rebuilt from what commander parsed
 * (flags in their long form, then the operands).
 */
import type { Command as Commander, Option } from 'commander';

/** Receives a leaf's exit code. */
export type ExitSink = (code: number) => void;

export function argvOf(cmd: Commander): string[] {
  const argv: string[] = [];
  for (const option of cmd.options as readonly Option[]) {
    const value = cmd.getOptionValue(option.attributeName());
    const source = cmd.getOptionValueSource(option.attributeName());
    if (value === undefined || value === false || source === 'default' || !option.long) continue;
    if (value === true) argv.push(option.long);
    else argv.push(option.long, String(value));
  }
  return [...argv, ...cmd.args];
}
