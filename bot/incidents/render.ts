/**
 * One incident's parent message: posted the first time, updated in place (`chat.update`,
 * coalesced by the poster) after that. It shows the service as the event left it (the event's
 * view; read over GraphQL only when the event carried none) and only the buttons that still
 * apply, with ids from `ensurePendingActions` (minted once per incident by medic).
 */
import type { Logger } from '../../src/log.js';
import { incidentMessage } from '../blocks/incident.js';
import { ensurePendingActions } from '../graphql/bot-ops.js';
import { fetchService, type ServiceWithApproval } from '../graphql/ops.js';
import { BOT_ACTOR } from '../roles.js';
import type { ChannelPoster } from '../slack/poster.js';
import type { GraphqlFn } from '../types.js';
import type { Incident } from './incident.js';

export interface RenderDeps {
  graphql: GraphqlFn;
  poster: ChannelPoster;
  logger: Logger;
  timeZone: string;
}

/** Posts the parent (first time) or updates it in place, from the event's view (else read now). */
export async function renderIncident(
  deps: RenderDeps,
  inc: Incident,
  view?: ServiceWithApproval | null,
): Promise<void> {
  let info: ServiceWithApproval | null = null;
  if (inc.service && !inc.slot.startsWith('drift:')) {
    info = view ?? (await fetchService(deps.graphql, BOT_ACTOR, inc.service));
  }
  const pending =
    info && !inc.resolved
      ? ((
          await ensurePendingActions(deps.graphql, BOT_ACTOR, [{ service: info.name, incident: inc.key }])
        ).get(info.name) ?? {})
      : {};
  const msg = incidentMessage({
    kind: inc.kind,
    service: inc.service,
    info,
    happened: inc.happened,
    at: inc.at,
    findings: inc.findings,
    alert: inc.alert,
    status: inc.status,
    resolved: inc.resolved,
    pending,
    runbookUrl: info?.recommendedAction.runbookUrl ?? null,
    timeZone: deps.timeZone,
  });
  if (inc.ts === null) {
    const posted = await deps.poster.post({ channel: inc.channel, text: msg.text, blocks: msg.blocks });
    inc.channel = posted.channel;
    inc.ts = posted.ts;
    deps.logger.info({ incident: inc.key, ts: inc.ts }, 'slack incident posted');
  } else {
    await deps.poster.update({ channel: inc.channel, ts: inc.ts, text: msg.text, blocks: msg.blocks });
  }
}
