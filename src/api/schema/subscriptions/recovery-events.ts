/**
 * `recoveryEvents(service, kinds)`: every audit event as the engine commits it, over SSE
 * (or any transport yoga speaks). Each subscriber holds a bounded buffer (1000 events); a client
 * that falls further behind loses the oldest and can catch up with `events(after:)`. Each event
 * carries the service view of its commit (`serviceView`).
 */
import { Repeater, SlidingBuffer } from 'graphql-yoga';
import { builder } from '../builder.js';
import { isLocal } from '../service-id.js';
import { EventKindEnum } from '../types/enums.js';
import { EventRef } from '../types/event.js';
import type { LiveEvent } from '../types/event-view.js';

export const SUBSCRIBER_BUFFER = 1000;

builder.subscriptionField('recoveryEvents', (t) =>
  t.field({
    type: EventRef,
    description: 'Audit events as they are committed, optionally filtered by service and kinds.',
    args: {
      node: t.arg.string({ description: 'This host; another node streams nothing here.' }),
      service: t.arg.string(),
      kinds: t.arg({ type: [EventKindEnum] }),
    },
    subscribe: (_root, { node, service, kinds }, ctx) => {
      const { engine, signal } = ctx;
      const local = isLocal(ctx, node);
      const wanted = kinds && kinds.length > 0 ? new Set(kinds) : null;
      return new Repeater<LiveEvent>(async (push, stop) => {
        const unsubscribe = engine.subscribe((event) => {
          if (!local) return;
          if (service && event.service !== service) return;
          if (wanted && !wanted.has(event.kind)) return;
          // The view as this commit left it (the bus publishes synchronously after the commit).
          void push({ ...event, view: event.service ? (engine.view(event.service) ?? null) : null });
        });
        // Stop on the client's disconnect itself: cancelling the response stream alone reaches
        // this Repeater only once the next event arrives (a suspended async generator in between
        // defers return()), which would keep a gone client subscribed to the engine.
        const onAbort = () => stop();
        if (signal.aborted) stop();
        else signal.addEventListener('abort', onAbort, { once: true });
        await stop;
        signal.removeEventListener('abort', onAbort);
        unsubscribe();
      }, new SlidingBuffer(SUBSCRIBER_BUFFER));
    },
    resolve: (event) => event,
  }),
);
