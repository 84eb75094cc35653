/** Coded store errors; callers branch on `code`, never on message text. */
export type StoreErrorCode = 'CONFLICT' | 'NOT_FOUND' | 'TOKEN_EXISTS' | 'LOCKED';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}
