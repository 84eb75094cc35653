/**
 * A real agent for the fleet tests: `medic serve` as a child process (process backend, one
 * Python service) shipping to a hub, with fast probe and ship intervals; and the events the hub
 * stored for a node, in id order.
 */
import { join } from 'node:path';
import type pg from 'pg';
import { medicChild, tempDir, writeContract } from '../watchdog/helpers.js';

type MedicChild = ReturnType<typeof medicChild>;

export interface AgentSpec {
  hubUrl: string;
  token: string;
  node: string;
  /** The one service: its name (unit `<name>.service`), Python code and policy. */
  service: {
    name: string;
    python: string;
    policy: Record<string, unknown>;
    dependsOn?: string[];
    /** An HTTP health probe (then the probe, not the process being alive, says healthy). */
    health?: { url: string; intervalSec: number; timeoutMs: number };
    /** Instead of `python -c <python>`. */
    command?: string[];
  };
  /** More services of the same shape (a busier agent). */
  more?: AgentSpec['service'][];
  /** More environment for `medic serve` (e.g. MEDIC_HUB_CA). */
  env?: Record<string, string>;
}

export interface AgentProcess {
  child: MedicChild;
  /** The agent's SQLite store. */
  db: string;
}

/** A fast policy for agents in fleet tests: one failure restarts, 1 s cooldown, no hard stop. */
export const FLEET_POLICY = {
  failureThreshold: 1,
  startupGraceSec: 1,
  cooldownSec: 1,
  maxRestarts: 100,
  windowSec: 120,
  backoff: { initialSec: 1, factor: 1, maxSec: 1 },
  stableSec: 60,
  circuit: { openSec: 600, maxOpenSec: 1200, hardStop: false },
};

export function startAgent(spec: AgentSpec): AgentProcess {
  const dir = tempDir(`fleet-${spec.node}`);
  const db = join(dir, 'medic.db');
  const contract = writeContract({
    dir,
    kind: 'process',
    services: [spec.service, ...(spec.more ?? [])].map((s) => ({
      name: s.name,
      unit: `${s.name}.service`,
      command: s.command ?? ['python', '-c', s.python],
      ...(s.health ? { health: s.health } : {}),
      policy: s.policy,
      ...(s.dependsOn ? { dependsOn: s.dependsOn } : {}),
    })),
  });
  const child = medicChild(['serve', '--contract', contract], {
    MEDIC_DB: db,
    MEDIC_PORT: '0',
    LOG_LEVEL: 'info',
    MEDIC_STATE_PROBE_INTERVAL_MS: '200',
    MEDIC_DRIFT_INTERVAL_SEC: '3600',
    MEDIC_HUB_URL: spec.hubUrl,
    MEDIC_HUB_TOKEN: spec.token,
    MEDIC_NODE_NAME: spec.node,
    MEDIC_HUB_SHIP_INTERVAL_MS: '200',
    ...spec.env,
  });
  return { child, db };
}

/** The events the hub stored for `node`: id, kind, service, in id order. */
export async function hubEventRows(pool: pg.Pool, node: string) {
  const { rows } = await pool.query<{ id: string; kind: string; service: string | null }>(
    'SELECT event_id AS id, kind, service FROM fleet_events WHERE node = $1 ORDER BY event_id',
    [node],
  );
  return rows.map((r) => ({ id: Number(r.id), kind: r.kind, service: r.service }));
}
