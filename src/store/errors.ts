/** Coded store errors; callers branch on `code`, never on message text. */
export type StoreErrorCode =
  | 'CONFLICT'
  | 'NOT_FOUND'
  | 'TOKEN_EXISTS'
  | 'LOCKED'
  /** The database cannot be opened or created at its path (directory, permissions, /proc, …). */
  | 'UNUSABLE'
  /** The file is not a healthy SQLite database (quick_check failed, not a database, …). */
  | 'DAMAGED'
  /** The open database file was deleted or replaced while medic ran: nothing is written to it. */
  | 'LOST';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

/**
 * SQLite result codes that mean "the store cannot take writes" (disk full, I/O error, read-only
 * file or filesystem, corruption, lock contention past busy_timeout) — as opposed to a domain
 * refusal (constraint, optimistic conflict). These count against store health.
 */
const FAULT_CODES = /^SQLITE_(FULL|IOERR|READONLY|CORRUPT|NOTADB|CANTOPEN|BUSY|LOCKED|PERM|PROTOCOL|AUTH)/;

export function isStoreFault(err: unknown): boolean {
  if (err instanceof StoreError) return err.code === 'LOST';
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && FAULT_CODES.test(code);
}
