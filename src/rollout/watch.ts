/**
 * Lets a running `medic serve` follow `policy apply` / `policy rollback` made by another process
 * (the CLI writes the store; serve polls it). Each poll reads the one active row; only when its
 * version number changed does the watcher parse it and call `engine.setPolicy` for every
 * service whose effective policy differs. The engine keeps each service's state and churn
 * counters: only the limits they are judged by change.
 */

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

export function watchPolicyVersions(
  store: Pick<Store, 'activePolicyVersion'>,
  engine: Pick<Engine, 'services' | 'setPolicy'>,
  opts: WatchOptions = {},
): PolicyWatcher {
  let seen: number | null = null;
  const check = (): number | null => {
    const active = store.activePolicyVersion();
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
  poll();
  const timer = setInterval(poll, opts.intervalMs ?? 2000);
  timer.unref();
  return { check, stop: () => clearInterval(timer) };
}
