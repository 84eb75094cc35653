/**
 * What the Slack bot needs beyond the public read model, as GraphQL (bot-only: an in-process
 * bot, a `bot` token, or admin): the single-use pending actions behind its buttons (minted in
 * one place, src/engine/pending.ts; claimed compare-and-set, first click wins), its incident
 * threads and its event cursor. With these the bot is a pure GraphQL client and runs the same
 * against an in-process API or a remote one.
 */
import { createGraphQLError } from 'graphql-yoga';
import { PENDING_ACTION_KINDS, type PendingAction } from '../../../core/pending.js';
import { ensurePendingActions } from '../../../engine/pending.js';
import type { SlackIncidentRecord } from '../../../store/records.js';
import { builder } from '../builder.js';
import type { ApiContext } from '../context.js';
import { authorize } from '../mutations/command.js';

function requireBot(ctx: ApiContext, operation: string): void {
  const denied = authorize(ctx, operation, 'bot', null);
  if (denied) throw createGraphQLError(denied.message, { extensions: { code: denied.code } });
}

const PendingActionKindEnum = builder.enumType('PendingActionKind', { values: PENDING_ACTION_KINDS });

const PendingActionRef = builder.objectRef<PendingAction>('PendingAction').implement({
  description: 'A single-use action id behind a Slack button (bot only).',
  fields: (t) => ({
    id: t.exposeString('id'),
    service: t.exposeString('service'),
    kind: t.field({ type: PendingActionKindEnum, resolve: (p) => p.kind }),
    incident: t.exposeString('incident'),
    createdAt: t.field({ type: 'DateTime', resolve: (p) => p.createdAt }),
    expiresAt: t.field({ type: 'DateTime', resolve: (p) => p.expiresAt }),
    usedAt: t.field({ type: 'DateTime', nullable: true, resolve: (p) => p.usedAt }),
    usedBy: t.exposeString('usedBy', { nullable: true }),
  }),
});

interface ActionSet {
  service: string;
  ids: Partial<Record<PendingAction['kind'], string>>;
}

const PendingActionSetRef = builder.objectRef<ActionSet>('PendingActionSet').implement({
  description: 'The action ids an incident message shows now (null: that button does not apply).',
  fields: (t) => ({
    service: t.exposeString('service'),
    approve: t.string({ nullable: true, resolve: (s) => s.ids.approve ?? null }),
    block: t.string({ nullable: true, resolve: (s) => s.ids.block ?? null }),
    release: t.string({ nullable: true, resolve: (s) => s.ids.release ?? null }),
  }),
});

const PendingActionRequestRef = builder.inputType('PendingActionRequest', {
  fields: (t) => ({
    service: t.string({ required: true }),
    incident: t.string({ required: true, description: 'Incident key (service + episode).' }),
  }),
});

const ClaimRef = builder
  .objectRef<{ ok: boolean; action: PendingAction | null }>('PendingActionClaim')
  .implement({
    fields: (t) => ({
      ok: t.exposeBoolean('ok', { description: 'True for the one claim that won.' }),
      action: t.field({ type: PendingActionRef, nullable: true, resolve: (c) => c.action }),
    }),
  });

const SlackIncidentRef = builder.objectRef<SlackIncidentRecord>('SlackIncident').implement({
  description: "One of the bot's incident threads (bot only).",
  fields: (t) => ({
    key: t.exposeString('key'),
    slot: t.exposeString('slot'),
    service: t.exposeString('service', { nullable: true }),
    channel: t.exposeString('channel'),
    ts: t.exposeString('ts', { nullable: true }),
    openedAt: t.field({ type: 'DateTime', resolve: (i) => i.openedAt }),
    closedAt: t.field({ type: 'DateTime', nullable: true, resolve: (i) => i.closedAt }),
    lastEventId: t.exposeInt('lastEventId'),
    data: t.field({ type: 'JSON', resolve: (i) => i.data }),
  }),
});

const SlackIncidentInputRef = builder.inputType('SlackIncidentInput', {
  fields: (t) => ({
    key: t.string({ required: true }),
    slot: t.string({ required: true }),
    service: t.string(),
    channel: t.string({ required: true }),
    ts: t.string(),
    openedAt: t.field({ type: 'DateTime', required: true }),
    closedAt: t.field({ type: 'DateTime' }),
    lastEventId: t.int({ required: true }),
    data: t.field({ type: 'JSON', required: true }),
  }),
});

builder.queryFields((t) => ({
  pendingAction: t.field({
    type: PendingActionRef,
    nullable: true,
    description: 'A pending action by id (bot only).',
    args: { id: t.arg.string({ required: true }) },
    resolve: (_root, { id }, ctx) => {
      requireBot(ctx, 'pendingAction');
      return ctx.store.getPendingAction(id);
    },
  }),
  openPendingActions: t.field({
    type: [PendingActionRef],
    description: 'Unused, unexpired actions of a service (bot only).',
    args: { service: t.arg.string({ required: true }) },
    resolve: (_root, { service }, ctx) => {
      requireBot(ctx, 'openPendingActions');
      return ctx.store.pendingActionsFor(service, ctx.now());
    },
  }),
  slackIncidents: t.field({
    type: [SlackIncidentRef],
    description: "The bot's open incident threads, oldest first (bot only).",
    resolve: (_root, _args, ctx) => {
      requireBot(ctx, 'slackIncidents');
      return ctx.store.openSlackIncidents();
    },
  }),
  eventCursor: t.field({
    type: 'Int',
    nullable: true,
    description: 'Highest event id a consumer (e.g. `slack`) fully handled; null when never set (bot only).',
    args: { name: t.arg.string({ required: true }) },
    resolve: (_root, { name }, ctx) => {
      requireBot(ctx, 'eventCursor');
      return ctx.store.eventCursor(name);
    },
  }),
}));

builder.mutationFields((t) => ({
  ensurePendingActions: t.field({
    type: [PendingActionSetRef],
    description:
      'The ids behind each incident message: reuses an unused, unexpired action of each kind that applies, else mints one (bot only).',
    args: { requests: t.arg({ type: [PendingActionRequestRef], required: true }) },
    resolve: (_root, { requests }, ctx) => {
      requireBot(ctx, 'ensurePendingActions');
      const now = ctx.now();
      return requests.flatMap(({ service, incident }) => {
        const view = ctx.engine.view(service);
        if (!view) return [];
        const s = { name: service, state: view.state.tag, approvalPending: view.approvalPending };
        return [{ service, ids: ensurePendingActions(ctx.store, s, incident, now) }];
      });
    },
  }),
  claimPendingAction: t.field({
    type: ClaimRef,
    description:
      'Claims an action for the calling Slack user: the first claim of an unused, unexpired action wins (bot only).',
    args: { id: t.arg.string({ required: true }) },
    resolve: (_root, { id }, ctx) => {
      requireBot(ctx, 'claimPendingAction');
      return ctx.store.claimPendingAction(id, ctx.principal.name, ctx.now());
    },
  }),
  saveSlackIncident: t.field({
    type: SlackIncidentRef,
    description: 'Inserts or replaces (by key) one of the bot’s incident threads (bot only).',
    args: { incident: t.arg({ type: SlackIncidentInputRef, required: true }) },
    resolve: (_root, { incident: i }, ctx) => {
      requireBot(ctx, 'saveSlackIncident');
      return ctx.store.upsertSlackIncident({
        key: i.key,
        slot: i.slot,
        service: i.service ?? null,
        channel: i.channel,
        ts: i.ts ?? null,
        openedAt: i.openedAt,
        closedAt: i.closedAt ?? null,
        lastEventId: i.lastEventId,
        data: (i.data ?? {}) as Record<string, unknown>,
      });
    },
  }),
  advanceEventCursor: t.field({
    type: 'Int',
    description: "Advances a consumer's event cursor (never backwards); returns the stored value (bot only).",
    args: { name: t.arg.string({ required: true }), eventId: t.arg.int({ required: true }) },
    resolve: (_root, { name, eventId }, ctx) => {
      requireBot(ctx, 'advanceEventCursor');
      return ctx.store.advanceEventCursor(name, eventId, ctx.now());
    },
  }),
}));
