/**
 * The generic webhook's signature, built like Slack's request signing so receivers can reuse
 * their verifier: headers `X-Medic-Request-Timestamp: <unix seconds>` and
 * `X-Medic-Signature: v0=<hex HMAC-SHA256(secret, "v0:" + timestamp + ":" + raw body)>`.
 * A receiver recomputes it over the raw body, compares in constant time, and rejects timestamps
 * more than 5 minutes from its clock (replays).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-medic-signature';
export const TIMESTAMP_HEADER = 'x-medic-request-timestamp';

export function signature(secret: string, timestampSec: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestampSec}:${body}`).digest('hex')}`;
}

/** The receiver's check (documented in docs/ALERTS.md; used by the tests as a receiver would). */
export function verifySignature(
  secret: string,
  headers: { signature: string | null; timestamp: string | null },
  body: string,
  nowSec: number,
  toleranceSec = 300,
): boolean {
  const ts = Number(headers.timestamp);
  if (!Number.isInteger(ts) || Math.abs(nowSec - ts) > toleranceSec || !headers.signature) return false;
  const want = Buffer.from(signature(secret, ts, body));
  const got = Buffer.from(headers.signature);
  return want.length === got.length && timingSafeEqual(want, got);
}
