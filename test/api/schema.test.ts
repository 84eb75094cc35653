import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { printSdl, SDL_PATH } from '../../schema/print.js';
import { schema } from '../../src/api/schema/index.js';

describe('schema/schema.graphql', () => {
  it('is the SDL the code builds (npm run schema:check passes)', async () => {
    expect(await readFile(SDL_PATH, 'utf8')).toBe(printSdl());
    const code = await new Promise<number>((resolve) =>
      execFile('npx', ['tsx', 'schema/print.ts', '--check'], (err) =>
        resolve(err ? Number(err.code ?? 1) : 0),
      ),
    );
    expect(code).toBe(0);
  });

  it('keeps the names the bot and dashboards rely on', () => {
    const sdl = printSdl();
    for (const line of [
      'services: [Service!]!',
      'service(name: String!): Service',
      'runtimeContract: RuntimeContract',
      'holdService(name: String!, reason: String!, ttlSec: Int!): ServiceResult!',
      'releaseService(name: String!, reason: String!): ServiceResult!',
      'approveRestart(name: String!, reason: String!): ServiceResult!',
      'forceRestart(name: String!, reason: String!): ServiceResult!',
      'resetCircuit(name: String!, reason: String!): ServiceResult!',
      'checkDrift: DriftResult!',
      'recoveryEvents(kinds: [EventKind!], service: String): Event!',
      'union ServiceResult = ConflictError | NotAllowedError | NotFoundError | Service | ValidationError',
    ]) {
      expect(sdl).toContain(line);
    }
    const events = schema.getQueryType()!.getFields().events;
    expect(events.args.map((a) => `${a.name}: ${a.type}`).sort()).toEqual([
      'after: String',
      'first: Int',
      'kinds: [EventKind!]',
      'order: EventOrder',
      'service: String',
      'since: DateTime',
    ]);
    expect(String(events.type)).toBe('EventConnection!');
  });
});
