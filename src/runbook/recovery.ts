/**
 * The runbook's "Store recovery" section: what /readyz, the log or `medic serve` says when the
 * store is in trouble, and what to do for each (issue 11). Static prose; the anchors are linked
 * from the MedicStoreFailing alert and from readiness reasons' documentation.
 */
import type { Block } from './doc.js';

export const STORE_RECOVERY_ID = 'store-recovery';

export function recoveryBlocks(): Block[] {
  return [
    {
      kind: 'p',
      text:
        'medic runs no effect without a durable record. When the store cannot take writes it decides nothing and ' +
        'restarts nothing, says why on `/readyz` (503) and in the log, sets `medic_store_up 0` (alert ' +
        '**MedicStoreFailing**) and counts `medic_store_commit_failures_total`. Take backups with ' +
        '`medic store backup /var/backups/medic-$(date +%F).db` (consistent while serve runs; never overwrites); ' +
        '`medic store check` checks a store (exit 0 ok, 1 damaged, 2 unreadable), `--full` for integrity_check.',
    },
    {
      kind: 'table',
      head: ['what you see', 'what it means', 'what to do'],
      rows: [
        [
          '`/readyz`: `store: failing since …, last error: database or disk is full`',
          'The filesystem of MEDIC_DB is full.',
          'Free space (`df -h`, the -wal file may be large). medic probes every second and returns to ready by ' +
            'itself once a 64 KiB commit succeeds; crashes during the outage were not acted on, so check `/medic status`.',
        ],
        [
          '`/readyz`: `store: failing since …, last error: disk I/O error` / `attempt to write a readonly database`',
          'The file, its directory or the filesystem stopped taking writes (I/O error, immutable flag, read-only remount).',
          '`dmesg`, `lsattr` the file and directory (`chattr -i`), `mount` (remount rw). Recovery is automatic as above. ' +
            'If I/O errors persist, stop medic, `medic store check --full`, restore from backup when damaged.',
        ],
        [
          '`/readyz`: `store: lost since …: database file … was deleted while medic ran`',
          'The database file was deleted or replaced under the running medic. medic stopped acting: it will not write ' +
            'into an unlinked file.',
          'If the file was moved, move it back; otherwise restore the last backup to the path. Then restart ' +
            '(`systemctl restart medic`): medic never reopens a store by itself, so two files never mix.',
        ],
        [
          '`medic serve` exits 2: `the database … is damaged (…)`',
          '`PRAGMA quick_check` failed at start (overwritten pages, truncated header, not a database). Nothing was written.',
          'Move it aside with its -wal and -shm (`mv medic.db medic.db.damaged`), restore the last backup to the path ' +
            '(`cp backup.db medic.db`), `medic store check`, start. No backup: start on an empty store (a new audit log; ' +
            'states start healthy).',
        ],
        [
          '`medic serve` exits 2: `cannot create the database directory …` / `is a directory` / `is not writable`',
          'MEDIC_DB points where medic cannot keep a database.',
          'Fix the path or its permissions / immutable flag / mount; medic needs to write the file, its -wal and -shm ' +
            'files and the directory.',
        ],
        [
          '`medic serve` exits 2: `another medic is already serving …: pid N on HOST`',
          'Another medic serves the same database file — through any path (symlink, hard link, bind mount).',
          'Stop that one first (`kill N` / its systemd unit), or give this one its own MEDIC_DB. Deleting files beside the ' +
            'database does not help: the claim lives inside the database.',
        ],
        [
          '`medic serve` exits 2: `cannot listen on HOST:PORT: …`',
          'The port is in use, or MEDIC_HOST is not an address of this machine.',
          'Stop what holds the port (`ss -ltnp`) or set MEDIC_PORT; set MEDIC_HOST to a local address.',
        ],
        [
          'Slack: `Already handled: this exact request reached medic before`',
          'A retried or replayed Slack request (same delivery or same signature) within 15 minutes, even across restarts.',
          'Nothing to do: it was handled the first time; send a new command if you meant to act again.',
        ],
      ],
    },
  ];
}
