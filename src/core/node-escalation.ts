/**
 * Escalation of a node gone dark (issue 17, fleet mode): the hub's `node_down` opens a page
 * (`trigger`), the node's `node_up` ends it (`resolve`). Pure; the hub's outbox
 * (src/hub/escalation*.ts) persists and delivers what this returns.
 *
 * One episode per node and silence: the dedup key names the node and the time the silence was
 * recorded (`node_down.at`, which `node_up` carries back as `data.downSince`), so a trigger and its
 * resolve share a key without any lookup, every replica computes the same key, and a new silence
 * of the same node is a new page.
 *
 * A node that went dark inside a maintenance window (`data.maintenance`, core/node-maintenance.ts)
 * pages nothing when the window does not `notify`, and pages marked `[maintenance <name>]` when
 * it does; its `node_up` then resolves only what was triggered (the outbox checks).
 */
import { maintenanceMarkOf } from './maintenance.js';

/** The fields of a hub event the decision reads. */
export interface NodeEscalationEvent {
  kind: string;
  node: string | null;
  at: number;
  data: Record<string, unknown>;
}

export type NodeEscalationStep =
  | { action: 'trigger'; node: string; dedupKey: string; severity: 'critical'; summary: string; at: number }
  | { action: 'resolve'; node: string; dedupKey: string; summary: string; at: number }
  | null;

/** The dedup key of one silence of one node. */
export function nodeDedupKey(node: string, downSince: number): string {
  return `medic-hub/node/${node}/${downSince}`;
}

/** What a hub event means for paging: node_down → trigger, node_up → resolve, else nothing. */
export function nodeEscalationStep(e: NodeEscalationEvent): NodeEscalationStep {
  if (e.node === null) return null;
  if (e.kind === 'node_down') {
    const window = maintenanceMarkOf(e.data);
    if (window && !window.notify) return null;
    const marked = window ? `[maintenance ${window.name}, ${window.mode}] ` : '';
    const silentSec = Math.round(Number(e.data.silentForMs ?? 0) / 1000);
    return {
      action: 'trigger',
      node: e.node,
      dedupKey: nodeDedupKey(e.node, e.at),
      // Nothing watches this node's services while its medic is dark: page like a hard stop.
      severity: 'critical',
      summary: `${marked}medic on ${e.node} stopped reporting to the hub (silent ${silentSec}s): its services are not watched from the fleet`,
      at: e.at,
    };
  }
  if (e.kind === 'node_up') {
    const downSince = Number(e.data.downSince);
    if (!Number.isFinite(downSince)) return null;
    const downSec = Math.round(Number(e.data.downForMs ?? 0) / 1000);
    return {
      action: 'resolve',
      node: e.node,
      dedupKey: nodeDedupKey(e.node, downSince),
      summary: `medic on ${e.node} reports again (down ${downSec}s)`,
      at: e.at,
    };
  }
  return null;
}
