/**
 * The Pothos builder: context type, scalars and defaults. Types, queries and mutations live in
 * one file each under schema/types, schema/mutations and schema/subscriptions.
 */
import SchemaBuilder from '@pothos/core';
import { Kind } from 'graphql';
import { createGraphQLError } from 'graphql-yoga';
import type { ApiContext } from './context.js';

export type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

export const builder = new SchemaBuilder<{
  Context: ApiContext;
  DefaultFieldNullability: false;
  Scalars: {
    /** Output: ISO string, Date or epoch ms; input: parsed to epoch ms. */
    DateTime: { Input: number; Output: string | number | Date };
    JSON: { Input: unknown; Output: unknown };
  };
}>({ defaultFieldNullability: false });

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
