/**
 * The agent's typed mutation errors: the shared definitions (shared/errors.ts) on the agent's
 * builder, and `resultUnion` bound to it.
 */
import type { ObjectRef } from '@pothos/core';
import { builder, type Types } from '../builder.js';
import { errorTypes, resultUnion as sharedResultUnion } from '../shared/errors.js';

export {
  conflict,
  ERROR_CODES,
  type ErrorCode,
  invalid,
  isMutationError,
  type MutationErrorShape,
  notFound,
} from '../shared/errors.js';

export const {
  ErrorCodeEnum,
  MutationErrorRef,
  NotFoundErrorRef,
  NotAllowedErrorRef,
  ConflictErrorRef,
  ValidationErrorRef,
} = errorTypes(builder);

/**
 * `union <name> = <Success> | NotFoundError | NotAllowedError | ConflictError | ValidationError`
 * (`fleet`: also AmbiguousError | PendingCommand, for the results the hub answers too).
 */
export function resultUnion<T extends object>(name: string, success: ObjectRef<Types, T>, fleet = false) {
  return sharedResultUnion(builder, name, success, fleet);
}
