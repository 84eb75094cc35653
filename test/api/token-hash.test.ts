/**
 * The stored form of a token (src/api/http/auth.ts `hashToken`): sha256 of its UTF-8 bytes, hex —
 * the same whichever of node's hash APIs computes it, so tokens stored before still match.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashToken } from '../../src/api/http/auth.js';

describe('hashToken', () => {
  it('is the sha256 of the token, hex (a known vector)', () => {
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it("equals createHash('sha256') of the UTF-8 bytes for any string", () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (token) => {
        expect(hashToken(token)).toBe(createHash('sha256').update(token, 'utf8').digest('hex'));
      }),
    );
  });
});
