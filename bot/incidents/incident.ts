/** One incident in the channel: a parent message per service + episode, its status lines and thread. */
import type { AlertLinkView, DriftFindingView } from '../blocks/incident.js';
import type { Time } from '../types.js';

export interface Incident {
  /** `<service>#<event id>` of the opening event (`drift:<service|contract>#<id>` for drift). */
  key: string;
  slot: string;
  service: string | null;
  kind: string;
  happened: string;
  at: Time;
  findings?: DriftFindingView[];
  /** The Alertmanager alert the opening event came from (its name and generatorURL), if any. */
  alert?: AlertLinkView;
  channel: string;
  ts: string | null;
  status: string[];
  resolved: boolean;
  /** Opened while the service was healthy (e.g. hold expired): the next opening event starts anew. */
  quiet: boolean;
  /** Epoch ms (bot clock) when the incident was opened. */
  openedAt: number;
  /** Highest event id applied to this incident. */
  lastEventId: number;
}
