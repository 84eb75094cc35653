/**
 * One schema (issue 15): everything an agent's GraphQL API offers exists at the hub for the
 * fleet, with compatible arguments and result types, so a query, mutation or subscription written
 * against an agent runs unchanged against the hub (MEDIC_URL pointed at either). The fields that
 * are deliberately the agent's alone are listed here with the reason; any other drift fails.
 */
import { createRequire } from 'node:module';
import type { GraphQLField, GraphQLNamedType, GraphQLObjectType, GraphQLSchema, GraphQLType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema as agentSchema } from '../../src/api/schema/index.js';
import { hubSchema } from '../../src/hub/schema/index.js';

// graphql as Pothos loads it (node resolution; vitest prefers graphql's .mjs build): one realm.
const { getNamedType, isEnumType, isInterfaceType, isObjectType, isUnionType } = createRequire(
  import.meta.url,
)('graphql') as typeof import('graphql');

/** Agent-only root fields, and why (docs/FLEET.md "One schema"). */
const AGENT_ONLY: Record<string, string> = {
  // The per-host Slack bot's own bookkeeping (bot tokens only); the hub runs its own Slack leader.
  'Query.eventCursor': 'bot bookkeeping',
  'Query.openPendingActions': 'bot bookkeeping',
  'Query.pendingAction': 'bot bookkeeping',
  'Query.slackIncidents': 'bot bookkeeping',
  'Mutation.advanceEventCursor': 'bot bookkeeping',
  'Mutation.claimPendingAction': 'bot bookkeeping',
  'Mutation.ensurePendingActions': 'bot bookkeeping',
  'Mutation.saveSlackIncident': 'bot bookkeeping',
  // API tokens live in each store; the hub's tokens are managed with `medic token` on its database.
  'Query.tokens': 'per-store tokens',
  // Policy versions are per host (the policy gate replays that host's recorded inputs).
  'Query.policyVersions': 'per-host policy versions',
  'Query.activePolicy': 'per-host policy versions',
  'Mutation.applyPolicy': 'per-host policy gate',
  'Mutation.rollbackPolicy': 'per-host policy gate',
};

const typeString = (t: GraphQLType): string => String(t);

function compareType(
  agentType: GraphQLNamedType,
  hubType: GraphQLNamedType | undefined,
  where: string,
  problems: string[],
  seen: Set<string>,
): void {
  if (seen.has(agentType.name)) return;
  seen.add(agentType.name);
  if (!hubType) {
    problems.push(`${where}: type ${agentType.name} is missing at the hub`);
    return;
  }
  if (isEnumType(agentType)) {
    if (!isEnumType(hubType)) return void problems.push(`${agentType.name}: not an enum at the hub`);
    const hubValues = new Set(hubType.getValues().map((v) => v.name));
    for (const v of agentType.getValues())
      if (!hubValues.has(v.name)) problems.push(`${agentType.name}.${v.name}: enum value missing at the hub`);
  } else if (isUnionType(agentType)) {
    if (!isUnionType(hubType)) return void problems.push(`${agentType.name}: not a union at the hub`);
    const hubMembers = new Set(hubType.getTypes().map((m) => m.name));
    for (const m of agentType.getTypes()) {
      if (!hubMembers.has(m.name)) problems.push(`${agentType.name}: member ${m.name} missing at the hub`);
      compareType(m, hubSchema.getType(m.name) ?? undefined, agentType.name, problems, seen);
    }
  } else if (isObjectType(agentType) || isInterfaceType(agentType)) {
    if (!isObjectType(hubType) && !isInterfaceType(hubType))
      return void problems.push(`${agentType.name}: not an object type at the hub`);
    const hubFields = hubType.getFields();
    for (const [name, field] of Object.entries(agentType.getFields()))
      compareField(`${agentType.name}.${name}`, field, hubFields[name], problems, seen);
  }
}

function compareField(
  path: string,
  agent: GraphQLField<unknown, unknown>,
  hub: GraphQLField<unknown, unknown> | undefined,
  problems: string[],
  seen: Set<string>,
): void {
  if (!hub) return void problems.push(`${path}: missing at the hub`);
  if (typeString(agent.type) !== typeString(hub.type))
    problems.push(`${path}: ${typeString(agent.type)} on the agent, ${typeString(hub.type)} at the hub`);
  const hubArgs = new Map(hub.args.map((a) => [a.name, a]));
  for (const arg of agent.args) {
    const h = hubArgs.get(arg.name);
    if (!h) problems.push(`${path}(${arg.name}): argument missing at the hub`);
    else if (getNamedType(arg.type).name !== getNamedType(h.type).name)
      problems.push(
        `${path}(${arg.name}): ${typeString(arg.type)} on the agent, ${typeString(h.type)} at the hub`,
      );
  }
  const agentArgs = new Set(agent.args.map((a) => a.name));
  for (const h of hub.args)
    if (!agentArgs.has(h.name) && String(h.type).endsWith('!') && h.defaultValue === undefined)
      problems.push(`${path}(${h.name}): required at the hub, unknown on the agent`);
  compareType(
    getNamedType(agent.type),
    hubSchema.getType(getNamedType(agent.type).name) ?? undefined,
    path,
    problems,
    seen,
  );
}

function problemsOf(root: 'Query' | 'Mutation' | 'Subscription', agent: GraphQLSchema): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const agentRoot = agent.getType(root) as GraphQLObjectType;
  const hubRoot = hubSchema.getType(root) as GraphQLObjectType;
  for (const [name, field] of Object.entries(agentRoot.getFields())) {
    if (AGENT_ONLY[`${root}.${name}`]) continue;
    compareField(`${root}.${name}`, field, hubRoot.getFields()[name], problems, seen);
  }
  return problems;
}

describe('schema parity between the agent and the hub', () => {
  for (const root of ['Query', 'Mutation', 'Subscription'] as const) {
    it(`every agent ${root} field exists at the hub with compatible arguments and types`, () => {
      expect(problemsOf(root, agentSchema)).toEqual([]);
    });
  }

  it('lists as agent-only only fields the agent has (no stale exceptions)', () => {
    const stale = Object.keys(AGENT_ONLY).filter((key) => {
      const [root, name] = key.split('.');
      return !(agentSchema.getType(root!) as GraphQLObjectType).getFields()[name!];
    });
    expect(stale).toEqual([]);
  });

  it('gives Service a node and a stable node/name id on both sides', () => {
    for (const s of [agentSchema, hubSchema]) {
      const fields = (s.getType('Service') as GraphQLObjectType).getFields();
      expect(String(fields.id!.type)).toBe('ID!');
      expect(String(fields.node!.type)).toBe('String!');
    }
  });
});
