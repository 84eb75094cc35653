/**
 * Typed mutation errors, the same on the agent and the hub. Every mutation returns a union of its
 * result and these types, so clients switch on `__typename` (or `code`) instead of parsing
 * messages. AMBIGUOUS: the hub was given a service name that several nodes run, without `node`
 * (`AmbiguousError.nodes` lists them); an agent never answers it.
 */
import type { ObjectRef } from '@pothos/core';
import type { TokenRole } from '../../../core/roles.js';
import type { DecisionCode } from '../../../core/types.js';
import { type MedicBuilder, perBuilder, type SharedTypes } from './builder.js';
import { enumTypes } from './enums.js';
import { isPending, pendingCommandType } from './pending-command.js';

export const ERROR_CODES = ['NOT_FOUND', 'NOT_ALLOWED', 'CONFLICT', 'VALIDATION', 'AMBIGUOUS'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface MutationErrorShape {
  code: ErrorCode;
  message: string;
  requiredRole?: TokenRole;
  decision?: DecisionCode;
  field?: string;
  /** AMBIGUOUS: the nodes that run a service of that name. */
  nodes?: string[];
}

export const isMutationError = (value: unknown): value is MutationErrorShape =>
  typeof value === 'object' && value !== null && 'code' in value && 'message' in value;

export const errorTypes = perBuilder((builder) => {
  const { DecisionCodeEnum, RoleEnum } = enumTypes(builder);
  const ErrorCodeEnum = builder.enumType('ErrorCode', { values: ERROR_CODES });

  const MutationErrorRef = builder.interfaceRef<MutationErrorShape>('MutationError').implement({
    fields: (t) => ({
      code: t.field({ type: ErrorCodeEnum, resolve: (e) => e.code }),
      message: t.exposeString('message'),
    }),
  });

  const NotFoundErrorRef = builder.objectRef<MutationErrorShape>('NotFoundError').implement({
    interfaces: [MutationErrorRef],
  });

  const NotAllowedErrorRef = builder.objectRef<MutationErrorShape>('NotAllowedError').implement({
    interfaces: [MutationErrorRef],
    fields: (t) => ({
      requiredRole: t.field({ type: RoleEnum, resolve: (e) => e.requiredRole ?? 'admin' }),
    }),
  });

  const ConflictErrorRef = builder.objectRef<MutationErrorShape>('ConflictError').implement({
    description: 'The command was recorded but changed nothing (e.g. approving when no approval is pending).',
    interfaces: [MutationErrorRef],
    fields: (t) => ({
      decision: t.field({ type: DecisionCodeEnum, nullable: true, resolve: (e) => e.decision ?? null }),
    }),
  });

  const ValidationErrorRef = builder.objectRef<MutationErrorShape>('ValidationError').implement({
    interfaces: [MutationErrorRef],
    fields: (t) => ({ field: t.string({ nullable: true, resolve: (e) => e.field ?? null }) }),
  });

  return {
    ErrorCodeEnum,
    MutationErrorRef,
    NotFoundErrorRef,
    NotAllowedErrorRef,
    ConflictErrorRef,
    ValidationErrorRef,
  };
});

/** `AmbiguousError` (the hub only: a name several nodes run, given without `node`). */
export const ambiguousErrorType = perBuilder((builder) => {
  const { MutationErrorRef } = errorTypes(builder);
  return builder.objectRef<MutationErrorShape>('AmbiguousError').implement({
    description: 'Several nodes run a service of that name: pass `node` (one of `nodes`).',
    interfaces: [MutationErrorRef],
    fields: (t) => ({ nodes: t.stringList({ resolve: (e) => e.nodes ?? [] }) }),
  });
});

/**
 * `union <name> = <Success> | NotFoundError | NotAllowedError | ConflictError | ValidationError`,
 * and for the results both schemas have (`fleet`: ServiceResult, DriftResult) also
 * `AmbiguousError | PendingCommand`, the same members on the agent and the hub (an agent never
 * answers the last two: they are the hub's), so one mutation document is valid against both.
 */
export function resultUnion<T extends object>(
  builder: MedicBuilder,
  name: string,
  success: ObjectRef<SharedTypes, T>,
  fleet = true,
) {
  const { NotFoundErrorRef, NotAllowedErrorRef, ConflictErrorRef, ValidationErrorRef } = errorTypes(builder);
  const AmbiguousErrorRef = ambiguousErrorType(builder);
  const PendingCommandRef = pendingCommandType(builder);
  const byCode: Record<ErrorCode, string> = {
    NOT_FOUND: NotFoundErrorRef.name,
    NOT_ALLOWED: NotAllowedErrorRef.name,
    CONFLICT: ConflictErrorRef.name,
    VALIDATION: ValidationErrorRef.name,
    AMBIGUOUS: AmbiguousErrorRef.name,
  };
  return builder.unionType(name, {
    types: [
      success,
      NotFoundErrorRef,
      NotAllowedErrorRef,
      ConflictErrorRef,
      ValidationErrorRef,
      ...(fleet ? [AmbiguousErrorRef, PendingCommandRef] : []),
    ],
    resolveType: (value: object) => {
      if (isPending(value)) return PendingCommandRef.name;
      return isMutationError(value) ? byCode[value.code] : success.name;
    },
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
