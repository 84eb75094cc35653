/**
 * Where medic's own files are, whether it runs from the TypeScript sources (tsx) or from the
 * compiled `dist/` tree: the package root is the nearest folder above this module with medic's
 * package.json. Runtime assets (db/migrations, examples/) are read from there, never copied.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'medic') return dir;
    if (dirname(dir) === dir) throw new Error(`medic's package.json not found above ${from}`);
  }
}

export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));
