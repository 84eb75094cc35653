/** Parses the text of `/medic …` into a command (pure; tested on its own). */
import { parseTtl } from '../../blocks/format.js';

export type MedicCommand =
  | { type: 'help' }
  | { type: 'status'; service?: string }
  | { type: 'approve'; service: string; reason?: string }
  | { type: 'block'; service: string; ttlSec: number; reason?: string }
  | { type: 'release'; service: string; reason?: string }
  | { type: 'drift' }
  | { type: 'error'; message: string };

export const USAGE = [
  '*/medic* commands:',
  '• `/medic status [service]` — state, churn, circuit, hold and the recommended action',
  '• `/medic approve <service> [reason]` — approve one probe restart (operator)',
  '• `/medic block <service> <ttl e.g. 30m|2h> [reason]` — no automatic restarts for a while (operator)',
  '• `/medic release <service> [reason]` — end a hold (operator)',
  '• `/medic drift` — runtime contract drift findings',
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
    default:
      return { type: 'error', message: `Unknown command \`${verb}\`.\n${USAGE}` };
  }
}
