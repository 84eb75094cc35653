import { join } from 'node:path';
import { afterEach } from 'vitest';
import { openStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/types.js';
import { tempDir } from '../store/helpers.js';

const opened: Store[] = [];
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
});

/** A real store on a fresh temp file, closed after the test. */
export function openTemp(): Store {
  const store = openStore(join(tempDir(), 'medic.db'));
  opened.push(store);
  return store;
}
