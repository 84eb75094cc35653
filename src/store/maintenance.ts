/**
 * Ad hoc maintenance windows in SQLite (table `maintenance_windows`, db/schema.ts): scheduled
 * and cancelled from GraphQL (and so from the CLI and Slack). The store keeps rows; the audit
 * events (`maintenance_scheduled`, `maintenance_cancelled`) are appended in the same transaction
 * by the caller (src/store/sqlite.ts). Parameterized SQL only.
 */
import type Database from 'better-sqlite3';
import type { MaintenanceWindow } from '../contract/maintenance/active.js';
import { type ContractMaintenance, contractWindows } from '../contract/maintenance/contract.js';
import type { MaintenanceMode } from '../core/maintenance.js';

export interface MaintenanceRecord {
  id: number;
  services: string[] | 'all';
  mode: MaintenanceMode;
  /** [from, until), epoch ms. */
  from: number;
  until: number;
  reason: string;
  actor: string;
  createdAt: number;
  cancelledAt: number | null;
  cancelledBy: string | null;
  /** Like the contract's `notify`: escalations and new incidents during it are sent, marked (else suppressed). */
  notify: boolean;
}

export type NewMaintenance = Pick<
  MaintenanceRecord,
  'services' | 'mode' | 'from' | 'until' | 'reason' | 'actor' | 'createdAt'
> & { notify?: boolean };

interface Row {
  id: number;
  services: string;
  mode: string;
  from_at: number;
  until_at: number;
  reason: string;
  actor: string;
  created_at: number;
  cancelled_at: number | null;
  cancelled_by: string | null;
  notify: number;
}

function recordOf(r: Row): MaintenanceRecord {
  const services = JSON.parse(r.services) as string[] | 'all';
  return {
    id: r.id,
    services,
    mode: r.mode === 'shadow' ? 'shadow' : 'hold',
    from: r.from_at,
    until: r.until_at,
    reason: r.reason,
    actor: r.actor,
    createdAt: r.created_at,
    cancelledAt: r.cancelled_at,
    cancelledBy: r.cancelled_by,
    notify: r.notify === 1,
  };
}

/** The name an ad hoc window is shown with. */
export const adhocName = (id: number) => `adhoc-${id}`;

/** A stored window as the evaluator takes it (src/contract/maintenance/active.ts). */
export function adhocWindow(r: MaintenanceRecord): MaintenanceWindow {
  return {
    id: `adhoc:${r.id}`,
    name: adhocName(r.id),
    services: r.services,
    mode: r.mode,
    notify: r.notify,
    reason: `${r.reason} (${r.actor})`,
    when: { kind: 'fixed', from: r.from, until: r.until },
  };
}

export class MaintenanceRows {
  private readonly insert: Database.Statement;
  private readonly cancel: Database.Statement;
  private readonly byId: Database.Statement<[number], Row>;
  private readonly current: Database.Statement<[number], Row>;
  private readonly all: Database.Statement<[], Row>;

  constructor(sqlite: Database.Database) {
    this.insert = sqlite.prepare(
      `INSERT INTO maintenance_windows (services, mode, from_at, until_at, reason, actor, created_at, notify)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.cancel = sqlite.prepare(
      `UPDATE maintenance_windows SET cancelled_at = ?, cancelled_by = ?
       WHERE id = ? AND cancelled_at IS NULL AND until_at > ?`,
    );
    this.byId = sqlite.prepare('SELECT * FROM maintenance_windows WHERE id = ?');
    this.current = sqlite.prepare(
      'SELECT * FROM maintenance_windows WHERE cancelled_at IS NULL AND until_at > ? ORDER BY from_at, id',
    );
    this.all = sqlite.prepare('SELECT * FROM maintenance_windows ORDER BY id DESC LIMIT 200');
  }

  add(w: NewMaintenance): MaintenanceRecord {
    const info = this.insert.run(
      JSON.stringify(w.services),
      w.mode,
      w.from,
      w.until,
      w.reason,
      w.actor,
      w.createdAt,
      w.notify ? 1 : 0,
    );
    return this.get(Number(info.lastInsertRowid))!;
  }

  get(id: number): MaintenanceRecord | null {
    const row = this.byId.get(id);
    return row ? recordOf(row) : null;
  }

  /** Ends a window that has not ended or been cancelled yet; null when there is none such. */
  cancelWindow(id: number, actor: string, at: number): MaintenanceRecord | null {
    const changed = this.cancel.run(at, actor, id, at).changes;
    return changed ? this.get(id) : null;
  }

  /** Windows not cancelled and not yet over at `at` (current and future), by start. */
  list(at: number): MaintenanceRecord[] {
    return this.current.all(at).map(recordOf);
  }

  /** The newest 200 windows, ended and cancelled ones included. */
  history(): MaintenanceRecord[] {
    return this.all.all().map(recordOf);
  }
}

/** The contract's windows plus the stored ad hoc ones (start-up). */
export function maintenanceWindows(
  contract: readonly ContractMaintenance[],
  stored: readonly MaintenanceRecord[],
): MaintenanceWindow[] {
  return [...contractWindows(contract), ...stored.map(adhocWindow)];
}

/** `current` with its ad hoc windows replaced by `stored` (after a schedule or a cancel). */
export function withAdhoc(
  current: readonly MaintenanceWindow[],
  stored: readonly MaintenanceRecord[],
): MaintenanceWindow[] {
  return [...current.filter((w) => !w.id.startsWith('adhoc:')), ...stored.map(adhocWindow)];
}
