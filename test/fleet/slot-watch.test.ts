/**
 * The agent's side of the node's one slot notification (src/agent/slot-watch.ts) and its lease
 * ids (src/agent/lease-ids.ts), against a scripted transport: one wait for all the node's
 * waiting services, services that start waiting gathered into one re-open (the open wait left
 * to the hub), only the named services told, a failure told to all, a service that stops
 * waiting dropped; an unanswered request's id asked again until an answer.
 */
import { describe, expect, it } from 'vitest';
import type { SlotWait } from '../../src/agent/budget-client.js';
import { LeaseIds } from '../../src/agent/lease-ids.js';
import { BUSY_PAUSE_MS, GATHER_MS, NodeSlotWatch } from '../../src/agent/slot-watch.js';
import { systemClock } from '../../src/clock/clock.js';
import type { WaitedFor } from '../../src/fleet/slot-notice.js';

/** A transport whose waits the test answers by hand. */
function scripted() {
  type Answer = WaitedFor[] | 'busy' | 'failed';
  const sent: { waits: WaitedFor[]; signal: AbortSignal; answer(a: Answer): void }[] = [];
  const transport = (waits: WaitedFor[], signal: AbortSignal) =>
    new Promise<Answer>((resolve) => sent.push({ waits, signal, answer: resolve }));
  return { sent, transport };
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));
const g = (service: string): WaitedFor => ({ group: 'g', service });

describe("the node's slot watch", () => {
  it('holds one wait for every waiting service and tells only the ones the hub names', async () => {
    const { sent, transport } = scripted();
    const watch = new NodeSlotWatch(transport, systemClock);
    const never = new AbortController().signal;
    const outcomes = new Map<string, SlotWait>();
    const follow = (s: string) => void watch.watch('g', s, never).then((o) => outcomes.set(s, o));
    follow('a');
    await tick();
    expect(sent.map((w) => w.waits)).toEqual([[g('a')]]);
    follow('b');
    follow('c');
    await tick(GATHER_MS + 30);
    // b and c joined in one re-open; the first wait was left to the hub (not aborted).
    expect(sent).toHaveLength(2);
    expect(sent[1]!.waits).toEqual([g('a'), g('b'), g('c')]);
    expect(sent[0]!.signal.aborted).toBe(false);
    sent[0]!.answer([]); // the hub answers the replaced wait with none
    await tick();
    expect(sent).toHaveLength(2);
    sent[1]!.answer([g('b')]);
    await tick();
    expect(outcomes).toEqual(new Map([['b', 'free']]));
    // Re-opened at once for the rest.
    expect(sent[2]!.waits).toEqual([g('a'), g('c')]);
    expect(watch.holding()).toBe(true);
    sent[2]!.answer('failed');
    await tick();
    expect(outcomes.get('a')).toBe('failed');
    expect(outcomes.get('c')).toBe('failed');
    expect(watch.size()).toBe(0);
    expect(watch.holding()).toBe(false);
    expect(sent).toHaveLength(3);
  });

  it('a service that stops waiting is dropped; nobody left watching aborts the wait', async () => {
    const { sent, transport } = scripted();
    const watch = new NodeSlotWatch(transport, systemClock);
    const stopA = new AbortController();
    const stopB = new AbortController();
    const a = watch.watch('g', 'a', stopA.signal);
    const b = watch.watch('g', 'b', stopB.signal);
    await tick(GATHER_MS + 30);
    stopA.abort();
    expect(await a).toBe('bound');
    expect(sent.at(-1)!.signal.aborted).toBe(false);
    // A name for a service that left is ignored; a wait held to its bound is re-opened without it.
    sent.at(-1)!.answer([]);
    await tick();
    expect(sent.at(-1)!.waits).toEqual([g('b')]);
    stopB.abort();
    expect(await b).toBe('bound');
    expect(sent.at(-1)!.signal.aborted).toBe(true);
  });

  it('a busy hub (5xx, no answer in time) is asked again after a pause; nobody is told', async () => {
    const { sent, transport } = scripted();
    const watch = new NodeSlotWatch(transport, systemClock, () => 0);
    let told: SlotWait | null = null;
    void watch.watch('g', 'a', new AbortController().signal).then((o) => {
      told = o;
    });
    await tick();
    const t0 = performance.now();
    sent[0]!.answer('busy');
    void watch.watch('g', 'b', new AbortController().signal); // joins the next send
    await tick(GATHER_MS + 30);
    expect(sent).toHaveLength(1); // paused, not re-sent at once
    while (sent.length < 2) await tick(20);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(BUSY_PAUSE_MS - 20);
    expect(sent[1]!.waits).toEqual([g('a'), g('b')]);
    expect(told).toBeNull();
    sent[1]!.answer([g('a')]);
    await tick();
    expect(told).toBe('free');
  });

  it('a name from a wait already replaced still tells the service', async () => {
    const { sent, transport } = scripted();
    const watch = new NodeSlotWatch(transport, systemClock);
    const never = new AbortController().signal;
    const a = watch.watch('g', 'a', never);
    void watch.watch('g', 'b', never);
    await tick(GATHER_MS + 30);
    expect(sent).toHaveLength(2);
    sent[0]!.answer([g('a')]); // the older wait named a before the hub saw the newer one
    expect(await a).toBe('free');
  });
});

describe('lease ids', () => {
  it('asks again with the id of an unanswered request until an answer, however long that takes', () => {
    let n = 0;
    const ids = new LeaseIds('web-1', () => `u${++n}`);
    const first = ids.auto('g', 'api');
    expect(first).toBe('web-1/api/u1');
    expect(ids.auto('g', 'api')).toBe('web-1/api/u2'); // answered requests never reuse
    ids.unanswered('g', 'api', first);
    expect(ids.auto('g', 'api')).toBe(first);
    // Unanswered again and again (an hour of timeouts): still the same id, never a second slot.
    for (let i = 0; i < 5; i++) ids.unanswered('g', 'api', ids.auto('g', 'api'));
    expect(ids.auto('g', 'api')).toBe(first);
    expect(ids.auto('g', 'other')).toBe('web-1/other/u3'); // per service
    expect(ids.auto('h', 'api')).toBe('web-1/api/u4'); // per group
    ids.answered('g', 'api');
    expect(ids.auto('g', 'api')).toBe('web-1/api/u5');
    expect(ids.fresh('api')).toBe('web-1/api/u6');
  });
});
