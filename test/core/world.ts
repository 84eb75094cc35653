/**
 * A small multi-service world for the decision core: several services with `dependsOn` /
 * `restartWith`, each decided by decide() with the surroundings the engine would give it
 * (first dependency down, name and node as the jitter seed), and the engine's two cross-service
 * rules: a dependency that becomes healthy wakes its dependents (a tick each, in order), and a
 * restart is followed by a `restart_with` to each of its `restartWith` services, in order.
 * Mirrors src/engine/engine.ts (`surroundings`, `nudgeDependents`, `restartCompanions`).
 */
import { nextWakeAt } from '../../src/core/deadline.js';
import { decide } from '../../src/core/decide.js';
import { firstDown, isUp } from '../../src/core/dependency.js';
import type { Policy } from '../../src/core/policy.js';
import { initialState } from '../../src/core/state.js';
import type { Decision, Input, ServiceState, Surroundings } from '../../src/core/types.js';

export interface WorldService {
  name: string;
  policy: Policy;
  dependsOn?: string[];
  restartWith?: string[];
}

export interface WorldRecord {
  service: string;
  at: number;
  input: Input;
  env: Surroundings;
  before: ServiceState;
  decision: Decision;
}

export const NODE = 'node-1';

export class World {
  readonly states = new Map<string, ServiceState>();
  readonly log: WorldRecord[] = [];
  private readonly byName = new Map<string, WorldService>();

  constructor(readonly services: WorldService[]) {
    for (const s of services) {
      this.byName.set(s.name, s);
      this.states.set(s.name, initialState());
    }
  }

  state(name: string): ServiceState {
    return this.states.get(name)!;
  }

  wakeAt(name: string): number | null {
    return nextWakeAt(this.state(name), this.byName.get(name)!.policy, { node: NODE, service: name });
  }

  /** Decides `input` for `name` at `now`, then the engine's follow-ups (nudges, restart_with). */
  feed(name: string, input: Input, now: number): Decision {
    const svc = this.byName.get(name)!;
    const env: Surroundings = { service: name, node: NODE };
    const ignore = input.type === 'restart_with' ? input.service : undefined;
    const down = firstDown(svc.dependsOn ?? [], (n) => this.states.get(n), ignore);
    if (down) env.dependencyDown = down;
    const before = this.state(name);
    const d = decide(before, input, now, svc.policy, env);
    this.states.set(name, d.next);
    this.log.push({ service: name, at: now, input, env, before, decision: d });
    if (!isUp(before) && isUp(d.next)) {
      for (const other of this.services) {
        if (other.dependsOn?.includes(name)) this.feed(other.name, { type: 'tick' }, now);
      }
    }
    if (d.effects.some((e) => e.type === 'restart')) {
      for (const companion of svc.restartWith ?? [])
        this.feed(companion, { type: 'restart_with', service: name }, now);
    }
    return d;
  }
}
