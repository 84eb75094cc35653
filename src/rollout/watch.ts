/**
 * Lets a running `medic serve` follow `policy apply` / `policy rollback` made by another process
 * (the CLI writes the store; serve polls it). Each poll reads the one active row; only when its
 * version number changed does the watcher parse it and call `engine.setPolicy` for every
 * service whose effective policy differs. The engine keeps each service's state and churn
 * counters: only the limits they are judged by change.
 *
 * The `policy_applied` / `policy_rolled_back` events the other writer committed are relayed to
 * the engine (`engine.relay`: log line + bus), so live subscribers see them. Every poll reads the
 * policy events after the last one seen (one indexed query): an apply followed by a rollback
 * within one interval leaves the active version number unchanged, and is still relayed.
 */

import { systemClock } from '../clock/clock.js';
import type { EventKind } from '../core/audit.js';
import type { Clock, Timer } from '../core/clock.js';
import type { Engine } from '../engine/types.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/types.js';
import { canonicalJson, type PolicySet, policyOf, policySetOfContent } from './policy-set.js';

export interface PolicyWatcher {
  /** Polls once now; returns the active version number it synced to (null: none active). */
  check(): number | null;
  stop(): void;
}

export interface WatchOptions {
  /** Poll interval (default 2000 ms). */
  intervalMs?: number;
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Called after the engine switched to a new version (e.g. to refresh /readyz or the runbook). */
  onChange?: (version: number) => void;
  /** medic's clock: the poll interval waits on it (default: the system clock). */
  clock?: Clock;
}

/**
 * Gives every engine service its policy from `set` (when it differs); returns the services
 * switched and those the set has no policy for (kept as they are).
 */
export function syncEngine(
  set: PolicySet,
  engine: Pick<Engine, 'services' | 'setPolicy'>,
): { changed: string[]; missing: string[] } {
  const changed: string[] = [];
  const missing: string[] = [];
  for (const [name, cfg] of engine.services) {
    const policy = policyOf(set, name);
    if (!policy) missing.push(name);
    else if (canonicalJson(policy) !== canonicalJson(cfg.policy)) {
      engine.setPolicy(name, policy);
      changed.push(name);
    }
  }
  return { changed, missing };
}

const POLICY_KINDS: EventKind[] = ['policy_applied', 'policy_rolled_back'];

export function watchPolicyVersions(
  store: Pick<Store, 'activePolicyVersion' | 'listEvents'>,
  engine: Pick<Engine, 'services' | 'setPolicy'> & Partial<Pick<Engine, 'relay'>>,
  opts: WatchOptions = {},
): PolicyWatcher {
  let seen: number | null = null;
  // Events up to here were committed before the watcher started: history, not news.
  let lastEventId = store.listEvents({ kinds: POLICY_KINDS, order: 'desc', first: 1 }).events[0]?.id ?? 0;
  const relayNew = () => {
    if (!engine.relay) return;
    for (;;) {
      const page = store.listEvents({ kinds: POLICY_KINDS, after: lastEventId, order: 'asc', first: 100 });
      for (const event of page.events) {
        engine.relay(event);
        lastEventId = event.id;
      }
      if (!page.hasMore) return;
    }
  };
  const check = (): number | null => {
    const active = store.activePolicyVersion();
    // The version row and its event commit in one transaction: switch first, then announce.
    if (!active || active.version === seen) {
      relayNew();
      return seen;
    }
    if (!active || active.version === seen) return seen;
    const set = policySetOfContent(active.content);
    const changed: string[] = [];
    for (const [name, cfg] of engine.services) {
      const policy = policyOf(set, name);
      if (!policy) {
        opts.logger?.warn(
          { service: name, version: active.version },
          'policy version has no policy for service; kept',
        );
        continue;
      }
      if (canonicalJson(policy) === canonicalJson(cfg.policy)) continue;
      engine.setPolicy(name, policy);
      changed.push(name);
    }
    if (seen !== null || changed.length > 0) {
      opts.logger?.info(
        { version: active.version, hash: active.hash, changed },
        'policy version now in effect',
      );
    }
    seen = active.version;
    opts.onChange?.(active.version);
    relayNew();
    return seen;
  };
  const poll = () => {
    try {
      check();
    } catch (err) {
      // A failed poll (busy database, bad row) must not kill serve; the next poll retries.
      opts.logger?.error({ err }, 'policy version poll failed');
    }
  };
  const clock = opts.clock ?? systemClock;
  let timer: Timer | null = null;
  const loop = () => {
    poll();
    if (timer) timer = clock.setTimeout(loop, opts.intervalMs ?? 2000);
  };
  timer = clock.setTimeout(loop, opts.intervalMs ?? 2000);
  poll();
  return {
    check,
    stop: () => {
      clock.clearTimeout(timer);
      timer = null;
    },
  };
}
