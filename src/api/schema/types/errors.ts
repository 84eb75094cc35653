/**
 * Typed mutation errors. Every mutation returns a union of its result and these types, so
 * clients switch on `__typename` (or `code`) instead of parsing messages.
 */
import type { ObjectRef } from '@pothos/core';
import type { TokenRole } from '../../../core/roles.js';
import type { DecisionCode } from '../../../core/types.js';
import { builder, type Types } from '../builder.js';
import { DecisionCodeEnum, RoleEnum } from './enums.js';

export const ERROR_CODES = ['NOT_FOUND', 'NOT_ALLOWED', 'CONFLICT', 'VALIDATION'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface MutationErrorShape {
  code: ErrorCode;
  message: string;
  requiredRole?: TokenRole;
  decision?: DecisionCode;
  field?: string;
}

export const isMutationError = (value: unknown): value is MutationErrorShape =>
  typeof value === 'object' && value !== null && 'code' in value && 'message' in value;

export const ErrorCodeEnum = builder.enumType('ErrorCode', { values: ERROR_CODES });

export const MutationErrorRef = builder.interfaceRef<MutationErrorShape>('MutationError').implement({
  fields: (t) => ({
    code: t.field({ type: ErrorCodeEnum, resolve: (e) => e.code }),
    message: t.exposeString('message'),
  }),
});

export const NotFoundErrorRef = builder.objectRef<MutationErrorShape>('NotFoundError').implement({
  interfaces: [MutationErrorRef],
});

export const NotAllowedErrorRef = builder.objectRef<MutationErrorShape>('NotAllowedError').implement({
  interfaces: [MutationErrorRef],
  fields: (t) => ({
    requiredRole: t.field({ type: RoleEnum, resolve: (e) => e.requiredRole ?? 'admin' }),
  }),
});

export const ConflictErrorRef = builder.objectRef<MutationErrorShape>('ConflictError').implement({
  description: 'The command was recorded but changed nothing (e.g. approving when no approval is pending).',
  interfaces: [MutationErrorRef],
  fields: (t) => ({
    decision: t.field({ type: DecisionCodeEnum, nullable: true, resolve: (e) => e.decision ?? null }),
  }),
});

export const ValidationErrorRef = builder.objectRef<MutationErrorShape>('ValidationError').implement({
  interfaces: [MutationErrorRef],
  fields: (t) => ({ field: t.string({ nullable: true, resolve: (e) => e.field ?? null }) }),
});

const REF_BY_CODE = {
  NOT_FOUND: NotFoundErrorRef,
  NOT_ALLOWED: NotAllowedErrorRef,
  CONFLICT: ConflictErrorRef,
  VALIDATION: ValidationErrorRef,
} as const;

/** `union <name> = <Success> | NotFoundError | NotAllowedError | ConflictError | ValidationError`. */
export function resultUnion<T extends object>(name: string, success: ObjectRef<Types, T>) {
  return builder.unionType(name, {
    types: [success, NotFoundErrorRef, NotAllowedErrorRef, ConflictErrorRef, ValidationErrorRef],
    resolveType: (value: T | MutationErrorShape) =>
      isMutationError(value) ? REF_BY_CODE[value.code].name : success.name,
  });
}

export const notFound = (message: string): MutationErrorShape => ({ code: 'NOT_FOUND', message });
export const conflict = (message: string, decision?: DecisionCode): MutationErrorShape => ({
  code: 'CONFLICT',
  message,
  decision,
});
export const invalid = (field: string, message: string): MutationErrorShape => ({
  code: 'VALIDATION',
  message,
  field,
});
