/**
 * `npm run bench [name...]`: runs every bench/<name>.bench.ts (or just the named ones) one after
 * the other in this process. Each module exports `run(): Promise<void>` and prints with report().
 * Benches that need systemd are run through scripts/with-systemd.sh by the npm script.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.includes(f.replace('.bench.ts', '')))
  .sort();

for (const file of files) {
  console.log(`\n== ${file.replace('.bench.ts', '')}`);
  const mod = (await import(join(here, file))) as { run: () => Promise<void> };
  await mod.run();
}
