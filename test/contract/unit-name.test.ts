import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assertUnitName,
  isSafeUnitName,
  isValidUnitName,
  unitNameKind,
} from '../../src/contract/unit-name.js';

describe('systemd unit-name grammar', () => {
  it('accepts plain, instance and template names of known types', () => {
    expect(unitNameKind('shop-api.service')).toBe('plain');
    expect(unitNameKind('getty@tty1.service')).toBe('instance');
    expect(unitNameKind('getty@.service')).toBe('template');
    expect(unitNameKind('-.mount')).toBe('plain');
    expect(unitNameKind('dev-disk-by\\x2duuid.device')).toBe('plain');
    expect(isValidUnitName('a:b_c.d.timer')).toBe(true);
  });

  it('rejects unknown types, empty prefixes, bad characters and overlong names', () => {
    for (const bad of [
      'shop',
      'shop.serv',
      '.service',
      '@x.service',
      'shop api.service',
      'a/b.service',
      'x;rm.service',
      '',
      `${'a'.repeat(248)}.service`,
    ]) {
      expect(isValidUnitName(bad), bad).toBe(false);
    }
    expect(isValidUnitName(`${'a'.repeat(247)}.service`)).toBe(true);
  });

  it('refuses names systemctl would read as an option, templates, and other types where a service is needed', () => {
    expect(isSafeUnitName('-x.service')).toBe(false);
    expect(isSafeUnitName('x@.service')).toBe(false);
    expect(isSafeUnitName('x.timer', 'service')).toBe(false);
    expect(() => assertUnitName('--user.service')).toThrow(/option/);
    expect(assertUnitName('shop-api.service', 'service')).toBe('shop-api.service');
  });

  it('never accepts a name with a character outside the grammar (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        const name = `${s}.service`;
        const allowed = /^[A-Za-z0-9:_.\\@-]*$/.test(s);
        if (!allowed) expect(isValidUnitName(name)).toBe(false);
        if (isSafeUnitName(name)) expect(name).toMatch(/^[A-Za-z0-9:_.\\][A-Za-z0-9:_.\\@-]*\.service$/);
      }),
      { numRuns: 3000 },
    );
  });
});
