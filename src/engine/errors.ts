/** Coded engine errors (callers branch on `code`). */
export type EngineErrorCode = 'UNKNOWN_SERVICE' | 'ENGINE_CLOSED';

export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}
