import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signV0, verifySignature } from '../../bot/verify.js';

const SECRET = 'test-signing-secret';
const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const nowSec = Math.floor(NOW / 1000);

describe('verifySignature', () => {
  it('accepts a body signed with the secret within ±300 s in both directions', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: -300, max: 300 }), (body, skew) => {
        const ts = String(nowSec + skew);
        const r = verifySignature({
          signingSecret: SECRET,
          timestamp: ts,
          signature: signV0(SECRET, ts, body),
          rawBody: body,
          nowMs: NOW,
        });
        expect(r).toEqual({ ok: true });
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses timestamps more than 5 minutes old or ahead, even when correctly signed', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.integer({ min: 301, max: 10_000_000 }),
        fc.boolean(),
        (body, off, future) => {
          const ts = String(nowSec + (future ? off : -off));
          const r = verifySignature({
            signingSecret: SECRET,
            timestamp: ts,
            signature: signV0(SECRET, ts, body),
            rawBody: body,
            nowMs: NOW,
          });
          expect(r).toEqual({ ok: false, reason: future ? 'future' : 'stale' });
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses any change to the body, the timestamp or the secret', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), (body, extra) => {
        const ts = String(nowSec);
        const sig = signV0(SECRET, ts, body);
        expect(
          verifySignature({
            signingSecret: SECRET,
            timestamp: ts,
            signature: sig,
            rawBody: body + extra,
            nowMs: NOW,
          }).ok,
        ).toBe(false);
        expect(
          verifySignature({
            signingSecret: `${SECRET}x`,
            timestamp: ts,
            signature: sig,
            rawBody: body,
            nowMs: NOW,
          }).ok,
        ).toBe(false);
        expect(
          verifySignature({
            signingSecret: SECRET,
            timestamp: String(nowSec + 1),
            signature: sig,
            rawBody: body,
            nowMs: NOW,
          }).ok,
        ).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses missing headers and malformed timestamps', () => {
    const body = 'x';
    expect(
      verifySignature({
        signingSecret: SECRET,
        timestamp: undefined,
        signature: 'v0=00',
        rawBody: body,
        nowMs: NOW,
      }),
    ).toEqual({
      ok: false,
      reason: 'missing_headers',
    });
    expect(
      verifySignature({
        signingSecret: SECRET,
        timestamp: '12a',
        signature: 'v0=00',
        rawBody: body,
        nowMs: NOW,
      }),
    ).toEqual({
      ok: false,
      reason: 'bad_timestamp',
    });
  });
});
