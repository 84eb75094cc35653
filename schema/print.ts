/**
 * Writes the SDL to schema/schema.graphql (the agent's API) and schema/hub.graphql (the fleet
 * hub's, issue 15) (`npm run schema:print`), or with `--check` fails (exit 1) when a checked-in
 * file differs from what the code builds (`npm run schema:check`).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GraphQLSchema } from 'graphql';
import { schema } from '../src/api/schema/index.js';
import { hubSchema } from '../src/hub/schema/index.js';

// Load graphql the way Pothos does (node resolution), so the printer and the schema share one
// graphql instance even under bundler-style resolvers (vitest prefers graphql's .mjs build).
const { lexicographicSortSchema, printSchema } = createRequire(import.meta.url)(
  'graphql',
) as typeof import('graphql');

export const SDL_PATH = join(dirname(fileURLToPath(import.meta.url)), 'schema.graphql');
export const HUB_SDL_PATH = join(dirname(fileURLToPath(import.meta.url)), 'hub.graphql');

const print = (s: GraphQLSchema) => `${printSchema(lexicographicSortSchema(s))}\n`;

export function printSdl(): string {
  return print(schema);
}

function main(): number {
  const check = process.argv.includes('--check');
  let status = 0;
  for (const [path, sdl] of [
    [SDL_PATH, printSdl()],
    [HUB_SDL_PATH, print(hubSchema)],
  ] as const) {
    const file = `schema/${path.split('/').at(-1)}`;
    if (!check) {
      writeFileSync(path, sdl);
      console.log(`wrote ${path}`);
      continue;
    }
    let current = '';
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      // missing file counts as stale
    }
    if (current !== sdl) {
      console.error(`${file} is stale: run \`npm run schema:print\` and commit the result`);
      status = 1;
    } else console.log(`${file} is up to date`);
  }
  return status;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main();
