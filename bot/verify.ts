/**
 * Slack request signature verification (v0 HMAC-SHA256 over `v0:<timestamp>:<raw body>`).
 *
 * Stricter than Bolt: the timestamp must be within ±`windowSec` (default 300 s) of now in BOTH
 * directions — Bolt only rejects old timestamps, so a request signed for the future would stay
 * replayable until then. The comparison is constant-time. Never throws; returns a reason code.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type VerifyResult =
  | { ok: true }
  | { ok: false; reason: 'missing_headers' | 'bad_timestamp' | 'stale' | 'future' | 'bad_signature' };

export interface VerifyInput {
  signingSecret: string;
  /** `x-slack-request-timestamp` header (seconds). */
  timestamp: string | undefined;
  /** `x-slack-signature` header (`v0=<hex>`). */
  signature: string | undefined;
  rawBody: Buffer | string;
  nowMs: number;
  windowSec?: number;
}

/** Computes the `v0=` signature Slack would send for this body and timestamp. */
export function signV0(signingSecret: string, timestamp: string | number, rawBody: Buffer | string): string {
  const mac = createHmac('sha256', signingSecret);
  mac.update(`v0:${timestamp}:`);
  mac.update(rawBody);
  return `v0=${mac.digest('hex')}`;
}

export function verifySignature(input: VerifyInput): VerifyResult {
  const { timestamp, signature } = input;
  if (!timestamp || !signature) return { ok: false, reason: 'missing_headers' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'bad_timestamp' };
  const window = input.windowSec ?? 300;
  const skewSec = Number(timestamp) - Math.floor(input.nowMs / 1000);
  if (skewSec < -window) return { ok: false, reason: 'stale' };
  if (skewSec > window) return { ok: false, reason: 'future' };
  const expected = Buffer.from(signV0(input.signingSecret, timestamp, input.rawBody));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'bad_signature' };
  }
  return { ok: true };
}
