/**
 * The event bus: every committed audit event, in commit order, to every subscriber
 * (GraphQL subscriptions, Slack bot, metrics). A throwing subscriber is reported to
 * `onError` and never stops delivery to the others or breaks the commit that published.
 */
import type { AuditEvent } from '../core/audit.js';

export type Listener = (event: AuditEvent) => void;

export class EventBus {
  private readonly listeners = new Set<Listener>();

  constructor(private readonly onError: (err: unknown, event: AuditEvent) => void = () => {}) {}

  subscribe(listener: Listener): () => void {
    // Wrapped so the same function can subscribe twice and unsubscribe each independently.
    const entry: Listener = (e) => listener(e);
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  publish(event: AuditEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch (err) {
        this.onError(err, event);
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }
}
