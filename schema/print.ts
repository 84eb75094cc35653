/**
 * Writes the SDL to schema/schema.graphql (`npm run schema:print`), or with `--check` fails
 * (exit 1) when the checked-in file differs from what the code builds (`npm run schema:check`).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { schema } from '../src/api/schema/index.js';

// Load graphql the way Pothos does (node resolution), so the printer and the schema share one
// graphql instance even under bundler-style resolvers (vitest prefers graphql's .mjs build).
const { lexicographicSortSchema, printSchema } = createRequire(import.meta.url)(
  'graphql',
) as typeof import('graphql');

export const SDL_PATH = join(dirname(fileURLToPath(import.meta.url)), 'schema.graphql');

export function printSdl(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}

function main(): number {
  const sdl = printSdl();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(SDL_PATH, 'utf8');
    } catch {
      // missing file counts as stale
    }
    if (current !== sdl) {
      console.error('schema/schema.graphql is stale: run `npm run schema:print` and commit the result');
      return 1;
    }
    console.log('schema/schema.graphql is up to date');
    return 0;
  }
  writeFileSync(SDL_PATH, sdl);
  console.log(`wrote ${SDL_PATH}`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main();
