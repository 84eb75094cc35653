/**
 * Store health: whether medic can durably record right now (promise 4: no effect without a
 * durable record).
 *
 * - Every guarded write (decision commits, events, intents, claims) reports faults here (disk
 *   full, I/O error, read-only, …; errors.ts `isStoreFault`): the store is failing since that
 *   moment, with the last error. `succeeded()` is called by the recovery probe (the instance
 *   heartbeat, which commits 64 KiB while failing — more than a decision), so readiness
 *   recovers by itself within a second of the disk taking writes again, and a small write that
 *   happens to fit on a full disk does not make it flap.
 * - File identity: the device and inode of the database file are taken at open; `verify()`
 *   compares them with the path (cheap `stat`, before every guarded write and every second).
 *   A deleted or replaced file marks the store LOST for good: writes then throw
 *   StoreError('LOST') instead of going into an unlinked inode, and only a restart of
 *   `medic serve` (which opens the file at the path afresh) clears it.
 */
import { statSync } from 'node:fs';
import { systemClock } from '../clock/clock.js';
import { StoreError } from './errors.js';

export interface FileIdentity {
  dev: string;
  ino: string;
}

/** Device and inode of the file at `path` (strings: inodes can exceed 2^53), or null if absent. */
export function fileIdentity(path: string): FileIdentity | null {
  try {
    const st = statSync(path, { bigint: true });
    return { dev: String(st.dev), ino: String(st.ino) };
  } catch {
    return null;
  }
}

export interface StoreHealthStatus {
  up: boolean;
  /** When the current failure began (epoch ms), null while up. */
  failingSince: number | null;
  lastError: string | null;
  /** Faulted writes since open (the Prometheus counter). */
  failures: number;
  /** The file was deleted or replaced: permanent until restart. */
  lost: boolean;
}

export type HealthListener = (status: StoreHealthStatus, change: 'failing' | 'recovered' | 'lost') => void;

export class StoreHealth {
  private failingSince: number | null = null;
  private lastError: string | null = null;
  private failures = 0;
  private lostReason: string | null = null;
  private readonly listeners = new Set<HealthListener>();

  constructor(
    readonly path: string,
    private readonly identity: FileIdentity | null,
    private readonly now: () => number = () => systemClock.now(),
  ) {}

  /**
   * Checks that the path still names the opened file; marks the store lost otherwise.
   * Returns false when lost. In-memory stores (no identity) always pass.
   */
  verify(): boolean {
    if (this.lostReason) return false;
    if (!this.identity) return true;
    const current = fileIdentity(this.path);
    if (current && current.dev === this.identity.dev && current.ino === this.identity.ino) return true;
    this.lostReason = current
      ? `database file ${this.path} was replaced while medic ran (inode ${this.identity.ino} → ${current.ino})`
      : `database file ${this.path} was deleted while medic ran`;
    this.failingSince ??= this.now();
    this.lastError = this.lostReason;
    this.emit('lost');
    return false;
  }

  /** Throws StoreError('LOST') when the file is gone: nothing may be written to an unlinked inode. */
  assertIntact(): void {
    if (!this.verify()) {
      this.failures += 1;
      throw new StoreError(
        'LOST',
        `${this.lostReason}; no decision is recorded or carried out until medic serve is restarted`,
      );
    }
  }

  failed(err: unknown): void {
    this.failures += 1;
    this.lastError = err instanceof Error ? err.message : String(err);
    if (this.failingSince === null) {
      this.failingSince = this.now();
      this.emit('failing');
    }
  }

  succeeded(): void {
    if (this.failingSince === null || this.lostReason) return;
    this.failingSince = null;
    this.emit('recovered');
  }

  status(): StoreHealthStatus {
    return {
      up: this.failingSince === null && !this.lostReason,
      failingSince: this.failingSince,
      lastError: this.lastError,
      failures: this.failures,
      lost: this.lostReason !== null,
    };
  }

  /** The readiness reason while failing (null while up). */
  reason(): string | null {
    const s = this.status();
    if (s.up) return null;
    const since = new Date(s.failingSince ?? this.now()).toISOString();
    if (s.lost) return `store: lost since ${since}: ${this.lostReason}; restart medic serve`;
    return `store: failing since ${since}, last error: ${s.lastError}`;
  }

  onChange(listener: HealthListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(change: 'failing' | 'recovered' | 'lost'): void {
    const s = this.status();
    for (const l of this.listeners) l(s, change);
  }
}
