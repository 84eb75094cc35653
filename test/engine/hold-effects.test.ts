/**
 * Issue 11, defect 7 (engine part): with `holdEffects`, decisions are committed as usual but no
 * effect runs until `releaseEffects()` — medic serve releases them only after detection is armed
 * and open intents are reconciled. Closing before the release runs nothing and leaves the intent
 * open for the next start's reconciliation.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/clock/clock.js';
import { createEngine } from '../../src/engine/engine.js';
import { createLogger } from '../../src/log.js';
import { openStore } from '../../src/store/sqlite.js';
import { tempDir } from '../store/helpers.js';
import { policy, RecordingExecutor } from './helpers.js';

const flush = () => new Promise((r) => setTimeout(r, 20));

async function heldEngine(path = `${tempDir()}/medic.db`) {
  const store = openStore(path);
  const executor = new RecordingExecutor();
  const clock = new SimulatedClock();
  const engine = await createEngine({
    store,
    services: [{ name: 'api', unit: 'api.service', policy: policy({ failureThreshold: 1 }) }],
    executor,
    clock,
    logger: createLogger('silent'),
    holdEffects: true,
  });
  return { store, executor, engine, path };
}

describe('effects held until released', () => {
  it('commits a restart decision at once but runs it only after releaseEffects()', async () => {
    const { store, executor, engine } = await heldEngine();
    const committed = await engine.submit('api', { type: 'exited', code: 1 });
    expect(committed.decision.effects.map((e) => e.type)).toContain('restart');
    await flush();
    expect(executor.calls).toHaveLength(0);
    expect(store.openIntents()).toHaveLength(1);
    engine.releaseEffects();
    await engine.idle();
    expect(executor.calls.map((c) => c.effect.type)).toEqual(['restart']);
    expect(store.openIntents()).toHaveLength(0);
    await engine.close();
    store.close();
  });

  it('closing before the release runs nothing and leaves the intent open for reconciliation', async () => {
    const { store, executor, engine } = await heldEngine();
    await engine.submit('api', { type: 'exited', code: 1 });
    await engine.close();
    expect(executor.calls).toHaveLength(0);
    expect(store.openIntents()).toHaveLength(1);
    store.close();
  });
});
