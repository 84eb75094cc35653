/**
 * Remembers delivery keys for `ttlMs` (default 15 min, longer than Slack's retry schedule of
 * ~1 min / 5 min) so a redelivered event or interaction is acknowledged but not processed again.
 * Bounded: the oldest keys are dropped beyond `max` entries.
 */
export class DeliveryDedupe {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly ttlMs = 15 * 60_000,
    private readonly max = 10_000,
  ) {}

  /** Returns true the first time a key is offered (within the TTL), false for repeats. */
  firstTime(key: string, nowMs: number): boolean {
    this.prune(nowMs);
    if (this.seen.has(key)) return false;
    this.seen.set(key, nowMs);
    if (this.seen.size > this.max) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    return true;
  }

  private prune(nowMs: number): void {
    for (const [key, at] of this.seen) {
      if (nowMs - at <= this.ttlMs) break; // insertion order = time order
      this.seen.delete(key);
    }
  }
}

/**
 * The identity of one Slack delivery: events by `event_id`; interactions by their trigger and
 * action timestamps (a double delivery repeats both); slash commands by `trigger_id`.
 * Returns null for bodies without a stable identity (they are processed every time).
 */
export function deliveryKey(body: Record<string, unknown>): string | null {
  if (typeof body.event_id === 'string') return `event:${body.event_id}`;
  if (typeof body.type === 'string' && Array.isArray(body.actions)) {
    const actions = body.actions as Array<{ action_id?: string; action_ts?: string }>;
    const first = actions[0];
    const trigger = typeof body.trigger_id === 'string' ? body.trigger_id : '';
    if (first) return `action:${trigger}:${first.action_id ?? ''}:${first.action_ts ?? ''}`;
  }
  if (typeof body.command === 'string' && typeof body.trigger_id === 'string') {
    return `command:${body.trigger_id}`;
  }
  if (typeof body.type === 'string' && typeof body.trigger_id === 'string') {
    return `${body.type}:${body.trigger_id}`;
  }
  return null;
}
