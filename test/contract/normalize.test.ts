import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cleanPath,
  expandHome,
  expandVars,
  normalizePath,
  realpathLoose,
  splitArgs,
} from '../../src/contract/normalize.js';
import { systemdEnvAssignment, systemdExecLine } from '../../src/contract/quote.js';
import { tempDir } from './helpers.js';

describe('normalizing paths and commands', () => {
  it('removes duplicate and trailing slashes', () => {
    expect(cleanPath('/opt//conda///envs/shop/')).toBe('/opt/conda/envs/shop');
    expect(cleanPath('/')).toBe('/');
    expect(cleanPath('/a/./b/../c')).toBe('/a/c');
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: ${VAR} is systemd/shell syntax here
  it('expands ~, $VAR and ${VAR}, first source wins, unknown names kept', () => {
    expect(expandHome('~/x', '/home/u')).toBe('/home/u/x');
    expect(expandHome('~other/x', '/home/u')).toBe('~other/x');
    expect(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: ${VAR} is systemd/shell syntax here
      expandVars('$ROOT/envs/${ENV}/bin', [{ ROOT: '/opt/conda' }, { ROOT: '/nope', ENV: 'shop' }]),
    ).toBe('/opt/conda/envs/shop/bin');
    expect(expandVars('$UNSET/x', {})).toBe('$UNSET/x');
    expect(expandVars('$$HOME', { HOME: '/h' }, { dollarDollar: true })).toBe('$HOME');
    expect(expandVars('$$HOME', { HOME: '/h' })).toBe('$$HOME');
  });

  it('resolves symlinks and keeps a non-existent tail', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'miniconda3', 'envs'), { recursive: true });
    await symlink(join(dir, 'miniconda3'), join(dir, 'conda'));
    expect(await realpathLoose(`${dir}/conda//envs/shop/bin/python/`)).toBe(
      `${dir}/miniconda3/envs/shop/bin/python`,
    );
    expect(await normalizePath('$R/envs', { vars: [{ R: `${dir}/conda` }] })).toBe(`${dir}/miniconda3/envs`);
  });

  it('splits systemd-style quoted arguments', () => {
    expect(splitArgs(`/bin/py -c "print('a b')" 'x y' a\\ b "q\\"d" ""`)).toEqual([
      '/bin/py',
      '-c',
      "print('a b')",
      'x y',
      'a b',
      'q"d',
      '',
    ]);
    expect(splitArgs('"A=has space" B=2 "D=\\$\\$x"')).toEqual(['A=has space', 'B=2', 'D=$$x']);
    expect(() => splitArgs('"open')).toThrow(/unterminated/);
  });

  it('quotes any command so that systemd-style splitting gives it back (property)', () => {
    const undouble = (w: string) => w.replaceAll('$$', '$').replaceAll('%%', '%');
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ unit: 'binary' }).filter((s) => !s.includes('\0')),
          { minLength: 1, maxLength: 6 },
        ),
        (argv) => {
          // $$/%% are undone by systemd itself; splitting undoes the quoting.
          const words = splitArgs(systemdExecLine(argv));
          expect(words.map((w) => w.replace(/\$\$|%%/g, (m) => undouble(m)))).toEqual(argv);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('quotes Environment= so that $ stays literal and % is escaped', () => {
    expect(systemdEnvAssignment('A', 'x y $HOME 100%')).toBe('"A=x y $HOME 100%%"');
    expect(splitArgs(systemdEnvAssignment('A', 'say "hi"\\'))).toEqual(['A=say "hi"\\']);
  });
});
