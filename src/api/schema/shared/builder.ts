/**
 * One builder configuration for both GraphQL schemas medic serves: the agent's (`medic serve`,
 * src/api/schema) and the fleet hub's (`medic hub`, src/hub/schema). Each side creates its own
 * builder with `createMedicBuilder<ItsContext>()` (same scalars, same nullability default), and
 * the types both schemas show (Service and its parts, Event, the mutation errors and results,
 * the drift report, the enums) are defined once in this folder by functions that take either
 * builder (`perBuilder`: one definition per builder), so the two schemas cannot drift apart.
 * The schema-parity test (test/fleet/schema-parity.test.ts) checks the root fields too.
 */
import SchemaBuilder from '@pothos/core';
import { Kind } from 'graphql';
import { createGraphQLError } from 'graphql-yoga';

export interface MedicSchemaTypes<Ctx extends object> {
  Context: Ctx;
  DefaultFieldNullability: false;
  Scalars: {
    /** Output: ISO string, Date or epoch ms; input: parsed to epoch ms. */
    DateTime: { Input: number; Output: string | number | Date };
    JSON: { Input: unknown; Output: unknown };
  };
}

/** A builder of either schema; shared definitions take this (their resolvers do not read a side's context). */
// biome-ignore lint/suspicious/noExplicitAny: the shared types are context-agnostic by construction.
export type MedicBuilder<Ctx extends object = any> = PothosSchemaTypes.SchemaBuilder<
  PothosSchemaTypes.ExtendDefaultTypes<MedicSchemaTypes<Ctx>>
>;
// biome-ignore lint/suspicious/noExplicitAny: see MedicBuilder.
export type SharedTypes = PothosSchemaTypes.ExtendDefaultTypes<MedicSchemaTypes<any>>;

function toIso(value: unknown): string {
  const date = value instanceof Date ? value : new Date(value as string | number);
  if (typeof value === 'boolean' || value === null || Number.isNaN(date.getTime())) {
    throw createGraphQLError(`DateTime cannot represent ${String(value)}`);
  }
  return date.toISOString();
}

function parseIso(value: unknown): number {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(Date.parse(value))) {
    throw createGraphQLError('DateTime must be an ISO-8601 string such as 2025-01-31T12:00:00Z', {
      extensions: { code: 'VALIDATION' },
    });
  }
  return Date.parse(value);
}

/** A builder with medic's scalars (DateTime, JSON) and the three root types. */
export function createMedicBuilder<Ctx extends object>(): MedicBuilder<Ctx> {
  const builder = new SchemaBuilder<MedicSchemaTypes<Ctx>>({ defaultFieldNullability: false });
  builder.scalarType('DateTime', {
    description: 'An instant as an ISO-8601 string in UTC, e.g. 2025-01-31T12:00:00.000Z.',
    serialize: toIso,
    parseValue: parseIso,
    parseLiteral: (ast) => parseIso(ast.kind === Kind.STRING ? ast.value : undefined),
  });
  builder.scalarType('JSON', {
    description: 'Free-form JSON (event details, inputs).',
    serialize: (value) => value,
    parseValue: (value) => value,
  });
  builder.queryType({});
  builder.mutationType({});
  builder.subscriptionType({});
  return builder;
}

/** Memoizes a shared definition per builder: each schema defines a type once, whoever asks first. */
export function perBuilder<T>(define: (builder: MedicBuilder) => T): (builder: MedicBuilder) => T {
  const made = new WeakMap<MedicBuilder, T>();
  return (builder) => {
    let refs = made.get(builder);
    if (refs === undefined) {
      refs = define(builder);
      made.set(builder, refs);
    }
    return refs;
  };
}
