/**
 * Durable memory of Alertmanager deliveries (issue 17; the receiver is src/api/http/
 * alertmanager.ts). `claim` records a delivery's dedupe key and the firing set in ONE
 * transaction and answers whether this delivery is the first with that key: only the first acts,
 * so Alertmanager's retries, its repeat_interval re-sends and the second replica of an HA pair
 * (all the same fingerprint, startsAt and status) act once, across medic restarts too.
 *
 * Keys are pruned after `retentionMs`, except those of alerts still firing (a long-firing alert's
 * re-sends must never act again).
 */
import type Database from 'better-sqlite3';

export interface AlertClaim {
  key: string;
  fingerprint: string;
  status: 'firing' | 'resolved';
  /** The services this alert acts on, with the action each (recorded while it fires). */
  targets: { service: string; action: string }[];
  at: number;
}

/** Per target: whether another hold-alert still fires for the service (after this claim). */
export type ClaimVerdict = { first: false } | { first: true; othersHolding: Set<string> };

export const ALERT_KEY_RETENTION_MS = 7 * 24 * 3600 * 1000;
const PRUNE_EVERY_MS = 3600 * 1000;

export class AlertMemory {
  private readonly insertKey: Database.Statement<[string, string, number]>;
  private readonly deleteKey: Database.Statement<[string]>;
  private readonly setFiring: Database.Statement<[string, string, string, number]>;
  private readonly clearFiring: Database.Statement<[string, string]>;
  private readonly holdingFor: Database.Statement<[string, string], { n: number }>;
  private readonly prune: Database.Statement<[number]>;
  private readonly claimTx: (c: AlertClaim) => ClaimVerdict;
  private prunedAt = Number.NEGATIVE_INFINITY;

  constructor(
    sqlite: Database.Database,
    private readonly retentionMs = ALERT_KEY_RETENTION_MS,
  ) {
    this.insertKey = sqlite.prepare(
      'INSERT INTO alert_deliveries (key, fingerprint, received_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING',
    );
    this.deleteKey = sqlite.prepare('DELETE FROM alert_deliveries WHERE key = ?');
    this.setFiring = sqlite.prepare(
      `INSERT INTO alerts_firing (fingerprint, service, action, since) VALUES (?, ?, ?, ?)
       ON CONFLICT (fingerprint, service) DO UPDATE SET action = excluded.action`,
    );
    this.clearFiring = sqlite.prepare('DELETE FROM alerts_firing WHERE fingerprint = ? AND service = ?');
    this.holdingFor = sqlite.prepare(
      `SELECT count(*) AS n FROM alerts_firing WHERE service = ? AND action = 'hold' AND fingerprint <> ?`,
    );
    this.prune = sqlite.prepare(
      `DELETE FROM alert_deliveries WHERE received_at < ?
       AND fingerprint NOT IN (SELECT fingerprint FROM alerts_firing)`,
    );
    const tx = sqlite.transaction((c: AlertClaim): ClaimVerdict => {
      if (c.at - this.prunedAt >= PRUNE_EVERY_MS) {
        this.prune.run(c.at - this.retentionMs);
        this.prunedAt = c.at;
      }
      if (this.insertKey.run(c.key, c.fingerprint, c.at).changes === 0) return { first: false };
      const othersHolding = new Set<string>();
      for (const t of c.targets) {
        if (c.status === 'firing') this.setFiring.run(c.fingerprint, t.service, t.action, c.at);
        else this.clearFiring.run(c.fingerprint, t.service);
        if (this.holdingFor.get(t.service, c.fingerprint)!.n > 0) othersHolding.add(t.service);
      }
      return { first: true, othersHolding };
    });
    this.claimTx = (c) => tx.immediate(c);
  }

  claim(c: AlertClaim): ClaimVerdict {
    return this.claimTx(c);
  }

  /** Forgets a claimed key (its action could not be submitted): the next delivery acts. */
  unclaim(key: string): void {
    this.deleteKey.run(key);
  }
}
