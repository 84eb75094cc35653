/** Parses the text of `/medic …` into a command (pure; tested on its own). */
import { parseTtl } from '../../blocks/format.js';

export type MedicCommand =
  | { type: 'help' }
  | { type: 'status'; service?: string }
  | { type: 'approve'; service: string; reason?: string }
  | { type: 'block'; service: string; ttlSec: number; reason?: string }
  | { type: 'release'; service: string; reason?: string }
  | { type: 'drift' }
  | { type: 'maintenance'; cmd: MaintenanceCommand }
  | { type: 'error'; message: string };

export type MaintenanceCommand =
  | {
      action: 'add';
      durationSec: number;
      services: string[] | null;
      mode: 'hold' | 'shadow';
      /** Escalations and new incidents during the window: sent marked (true) or suppressed. */
      notify: boolean;
      reason?: string;
    }
  | { action: 'list' }
  | { action: 'cancel'; id: string; reason?: string };

const MAINTENANCE_USAGE =
  'Usage: `/medic maintenance <duration e.g. 2h> [services=api,db] [mode=shadow] [notify] [reason]`, `/medic maintenance list`, `/medic maintenance cancel <id> [reason]`';

export const USAGE = [
  '*/medic* commands:',
  '• `/medic status [service]` — state, churn, circuit, hold and the recommended action',
  '• `/medic approve <service> [reason]` — approve one probe restart (operator)',
  '• `/medic block <service> <ttl e.g. 30m|2h> [reason]` — no automatic restarts for a while (operator)',
  '• `/medic release <service> [reason]` — end a hold (operator)',
  '• `/medic drift` — runtime contract drift findings',
  '• `/medic maintenance <duration> [services=a,b] [mode=shadow] [notify] [reason]` — a maintenance window from now (operator); `list`, `cancel <id>`',
  '• `/medic help` — this text',
].join('\n');

const SERVICE = /^[A-Za-z0-9@._:-]{1,200}$/;

export function parseCommand(text: string): MedicCommand {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const [verb = 'help', service, ...rest] = words;
  const reasonFrom = (parts: string[]) => (parts.length > 0 ? parts.join(' ') : undefined);
  const needService = (): string | null => (service && SERVICE.test(service) ? service : null);
  switch (verb.toLowerCase()) {
    case 'help':
      return { type: 'help' };
    case 'status':
      if (service === undefined) return { type: 'status' };
      return needService()
        ? { type: 'status', service }
        : { type: 'error', message: `Bad service name \`${service}\`.` };
    case 'drift':
      return { type: 'drift' };
    case 'approve':
    case 'release': {
      const name = needService();
      if (!name)
        return { type: 'error', message: `Usage: \`/medic ${verb.toLowerCase()} <service> [reason]\`` };
      return { type: verb.toLowerCase() as 'approve' | 'release', service: name, reason: reasonFrom(rest) };
    }
    case 'block':
    case 'hold': {
      const name = needService();
      const ttlSec = rest[0] ? parseTtl(rest[0]) : null;
      if (!name || ttlSec === null) {
        return { type: 'error', message: 'Usage: `/medic block <service> <ttl e.g. 30m|2h> [reason]`' };
      }
      return { type: 'block', service: name, ttlSec, reason: reasonFrom(rest.slice(1)) };
    }
    case 'maintenance':
      return parseMaintenance(words.slice(1));
    default:
      return { type: 'error', message: `Unknown command \`${verb}\`.\n${USAGE}` };
  }
}

/** `/medic maintenance …` after the verb. */
function parseMaintenance(words: string[]): MedicCommand {
  const [first, ...rest] = words;
  const reason = (parts: string[]) => (parts.length > 0 ? parts.join(' ') : undefined);
  if (first === undefined) return { type: 'error', message: MAINTENANCE_USAGE };
  if (first === 'list' && rest.length === 0) return { type: 'maintenance', cmd: { action: 'list' } };
  if (first === 'cancel') {
    const [id, ...why] = rest;
    if (!id || !/^(adhoc[:-])?\d+$/.test(id)) return { type: 'error', message: MAINTENANCE_USAGE };
    return { type: 'maintenance', cmd: { action: 'cancel', id, reason: reason(why) } };
  }
  const durationSec = parseTtl(first);
  if (durationSec === null) return { type: 'error', message: MAINTENANCE_USAGE };
  let services: string[] | null = null;
  let mode: 'hold' | 'shadow' = 'hold';
  let notify = false;
  let i = 0;
  for (; i < rest.length; i++) {
    const w = rest[i]!;
    if (w.startsWith('services=')) {
      services = w.slice('services='.length).split(',').filter(Boolean);
      if (services.length === 0 || !services.every((n) => SERVICE.test(n)))
        return { type: 'error', message: `Bad services in \`${w}\`.` };
    } else if (w === 'mode=shadow' || w === 'mode=hold') mode = w === 'mode=shadow' ? 'shadow' : 'hold';
    else if (w === 'notify' || w === 'notify=true') notify = true;
    else break;
  }
  return {
    type: 'maintenance',
    cmd: { action: 'add', durationSec, services, mode, notify, reason: reason(rest.slice(i)) },
  };
}
