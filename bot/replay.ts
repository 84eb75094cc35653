/**
 * The replay guard port: how the receiver remembers handled requests. medic serve wires a
 * durable implementation (the store's `slack_replays` table, through the composition root), so
 * a request replayed after a restart is still recognised; without one, the receiver falls
 * back to an in-memory memory (dedupe.ts) that forgets on restart.
 *
 * Keys of one request (`replayKeys`): its delivery identity (`event:<event_id>`, the action or
 * command's trigger; the same across Slack's own retries, which are re-signed) and its signature
 * (`sig:<v0=…>`: the same for an exact replay of any signed body). Remembered for `REPLAY_TTL_MS`,
 * longer than both Slack's retry schedule and the ±300 s signature window.
 */
import { deliveryKey } from './dedupe.js';

export type ReplayVerdict = 'new' | 'seen';

export interface ReplayGuard {
  /** Remembers every key until `expiresAt` (epoch ms); 'seen' if any was remembered already. */
  claim(keys: string[], expiresAt: number): ReplayVerdict | Promise<ReplayVerdict>;
}

/** 15 min: past Slack's retries (~1 min, ~5 min) and twice the signature window. */
export const REPLAY_TTL_MS = 15 * 60_000;

export function replayKeys(body: Record<string, unknown>, signature: string | undefined): string[] {
  const keys: string[] = [];
  const delivery = deliveryKey(body);
  if (delivery) keys.push(delivery);
  if (signature) keys.push(`sig:${signature}`);
  return keys;
}
