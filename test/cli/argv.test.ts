import { Command } from 'commander';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { argvOf, collect } from '../../src/cli/argv.js';

/** The `contract init` flags as declared for commander; returns the argv the module would get. */
function rebuild(args: string[]): string[] {
  let seen: string[] = [];
  const cmd = new Command('init')
    .exitOverride()
    .option('--units <glob>', 'unit glob', collect)
    .option('--scope <scope>', 'scope')
    .option('--no-probe', 'no probing')
    .option('--force', 'overwrite')
    .argument('[rest...]')
    .action((...params: unknown[]) => {
      seen = argvOf(params[params.length - 1] as Command);
    });
  cmd.parse(args, { from: 'user' });
  return seen;
}

describe('argvOf', () => {
  it('passes every value of a repeated flag, in order', () => {
    expect(rebuild(['--units', 'a-*.service', '--units', 'b-*.service'])).toEqual([
      '--units',
      'a-*.service',
      '--units',
      'b-*.service',
    ]);
  });

  it('passes a negated flag given on the command line and omits it when absent', () => {
    expect(rebuild(['--no-probe', '--force'])).toEqual(['--no-probe', '--force']);
    expect(rebuild(['--force'])).toEqual(['--force']);
  });

  it('round-trips any mix of flags and operands (property)', () => {
    const glob = fc.stringMatching(/^[a-z*][a-z0-9*-]{0,8}\.service$/);
    fc.assert(
      fc.property(
        fc.array(glob, { maxLength: 4 }),
        fc.option(fc.constantFrom('system', 'user'), { nil: undefined }),
        fc.boolean(),
        fc.boolean(),
        fc.array(fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/), { maxLength: 3 }),
        (units, scope, noProbe, force, rest) => {
          const args = [
            ...units.flatMap((u) => ['--units', u]),
            ...(scope ? ['--scope', scope] : []),
            ...(noProbe ? ['--no-probe'] : []),
            ...(force ? ['--force'] : []),
            ...rest,
          ];
          expect(rebuild(args)).toEqual(args);
        },
      ),
    );
  });
});
