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
    // Each field keeps its type and its arguments; issue 15 added only optional ones (`node`,
    // and paging/filters on `services`) so one document runs against an agent and the fleet hub.
    const signature = (root: 'Query' | 'Mutation' | 'Subscription', name: string, added: string[] = []) => {
      const type =
        root === 'Query'
          ? schema.getQueryType()
          : root === 'Mutation'
            ? schema.getMutationType()
            : schema.getSubscriptionType();
      const field = type!.getFields()[name]!;
      const args = field.args.filter((a) => !added.includes(a.name)).map((a) => `${a.name}: ${a.type}`);
      for (const a of field.args.filter((x) => added.includes(x.name)))
        expect(String(a.type)).not.toMatch(/!$/);
      return `${name}(${args.join(', ')}): ${field.type}`;
    };
    const NODE = ['node'];
    expect(signature('Query', 'services', ['node', 'first', 'after', 'state'])).toBe(
      'services(): [Service!]!',
    );
    expect(signature('Query', 'service', NODE)).toBe('service(name: String!): Service');
    expect(signature('Query', 'runtimeContract', NODE)).toBe('runtimeContract(): RuntimeContract');
    for (const name of ['releaseService', 'approveRestart', 'forceRestart', 'resetCircuit'])
      expect(signature('Mutation', name, NODE)).toBe(
        `${name}(name: String!, reason: String!): ServiceResult!`,
      );
    expect(signature('Mutation', 'holdService', NODE)).toBe(
      'holdService(name: String!, reason: String!, ttlSec: Int!): ServiceResult!',
    );
    expect(signature('Mutation', 'checkDrift', NODE)).toBe('checkDrift(): DriftResult!');
    expect(signature('Subscription', 'recoveryEvents', NODE)).toBe(
      'recoveryEvents(kinds: [EventKind!], service: String): Event!',
    );
    expect(printSdl()).toContain(
      'union ServiceResult = AmbiguousError | ConflictError | NotAllowedError | NotFoundError | PendingCommand | Service | ValidationError',
    );
    const events = schema.getQueryType()!.getFields().events;
    expect(events.args.map((a) => `${a.name}: ${a.type}`).sort()).toEqual([
      'after: String',
      'first: Int',
      'kinds: [EventKind!]',
      'node: String',
      'order: EventOrder',
      'service: String',
      'since: DateTime',
    ]);
    expect(String(events.type)).toBe('EventConnection!');
  });
});
