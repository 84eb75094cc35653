/**
 * The fleet hub's runbook section for a node gone dark (`node_down`: its medic stopped
 * reporting; the hub's Slack incident, its page and `MedicNodeDown` link here). Only the hub's
 * runbook has it (model.ts adds it when rendering for the fleet). The anchor is stable: old
 * incident messages link to it.
 */
import type { Block } from './doc.js';

export const NODE_DOWN_ID = 'fleet-node-down';

/** The one recommended action for a node gone dark (the incident's "Recommended:" line). */
export const NODE_DOWN_ACTION =
  'Check the host: is it up, and is medic running there (`systemctl status medic`, `journalctl -u medic -n 200`)? ' +
  'Until it reports again its services are decided by its own medic only, or by nothing if medic is down.';

export function nodeDownBlocks(): Block[] {
  return [
    {
      kind: 'p',
      text:
        'The hub has heard nothing from the node for `MEDIC_HUB_SILENCE_SEC` (heartbeats included): its medic, ' +
        'its host or the way to the hub is down. One `node_down` per silence; `node_up` when it ships again.',
    },
    {
      kind: 'list',
      items: [
        NODE_DOWN_ACTION,
        'medic runs but cannot ship: its log says why once (`cannot ship to the hub: …` — TLS/`MEDIC_HUB_CA`, ' +
          'a revoked token, `MEDIC_HUB_URL`); fix that and it catches up with no gap.',
        'Down on purpose (a reboot, an upgrade): schedule a maintenance window for its services first ' +
          '(`medic maintenance add --node NODE`), then the silence is neither paged nor posted.',
        'A node retired for good: nothing to do at medic; its rows stay at the hub as last shipped.',
      ],
    },
  ];
}
