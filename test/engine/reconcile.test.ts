import { describe, expect, it } from 'vitest';
import { reconcileIntents } from '../../src/engine/engine.js';
import type { IntentAnswer } from '../../src/engine/reconcile.js';
import { FAIL3, rig } from './helpers.js';

/** A restart decided and committed, then medic "dies" while systemctl runs. */
async function crashedMidRestart() {
  const a = await rig();
  a.executor.during = () => new Promise(() => {}); // never returns: the process dies first
  for (const input of FAIL3) {
    a.clock.advance(1_000);
    await a.engine.submit('api', input);
  }
  expect(a.store.openIntents()).toHaveLength(1);
  a.abandon();
  const b = await rig(undefined, { path: a.path, clock: a.clock });
  return b;
}

describe('reconcileIntents', () => {
  it('never re-executes an open intent on start', async () => {
    const b = await crashedMidRestart();
    await b.engine.idle();
    expect(b.executor.calls).toEqual([]);
    expect(b.store.openIntents()).toHaveLength(1);
    expect(b.engine.view('api')!.state.tag).toBe('restarting');
  });

  it.each<[IntentAnswer, string]>([
    ['done', 'restart_succeeded'],
    ['not_done', 'none'],
    ['unknown', 'none'],
  ])('closes the intent as unknown_after_crash and, when systemd says %s, feeds %s', async (answer, fed) => {
    const b = await crashedMidRestart();
    const asked: number[] = [];
    const out = await reconcileIntents(
      b.engine,
      b.store,
      async (intent) => {
        asked.push(intent.id);
        return answer;
      },
      () => b.clock.now(),
    );
    expect(out.map((o) => o.answer)).toEqual([answer]);
    expect(asked).toHaveLength(1);
    expect(b.store.openIntents()).toEqual([]);
    expect(b.store.listIntents()[0].outcome).toBe('unknown_after_crash');
    const after = b.store.listEvents({ after: 0, first: 500 }).events.slice(-2);
    const note = after.find((e) => e.kind === 'restart_executed' && e.decision === null)!;
    expect(note.data).toMatchObject({ answer, outcome: 'unknown_after_crash' });
    const feedback = after.filter((e) => e.decision === 'restart_succeeded');
    expect(feedback.length).toBe(fed === 'none' ? 0 : 1);
    if (fed !== 'none') expect(feedback[0].data).toMatchObject({ source: 'reconcile' });
    expect(b.executor.calls).toEqual([]);
  });

  it('treats a failing ask as unknown', async () => {
    const b = await crashedMidRestart();
    const out = await reconcileIntents(b.engine, b.store, async () => {
      throw new Error('dbus down');
    });
    expect(out.map((o) => o.answer)).toEqual(['unknown']);
    expect(b.store.openIntents()).toEqual([]);
  });
});
