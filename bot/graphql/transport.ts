/**
 * In-process GraphQL for the bot: requests go through `yoga.fetch` (no socket), and the actor
 * travels in the yoga *server context*, which HTTP clients cannot set — so the Slack user's
 * identity cannot be forged over the wire, and the API authorizes and audits it like a token.
 *
 * `subscribe` streams a subscription over SSE (`Accept: text/event-stream`) from the same fetch.
 */
import { createParser } from 'eventsource-parser';
import type { GraphqlActor, GraphqlClient, GraphqlResult } from '../types.js';

/** `yoga.fetch`'s shape: a WHATWG fetch plus a server context merged into the GraphQL context. */
export type YogaFetch = (
  url: string,
  init: RequestInit,
  serverContext?: Record<string, unknown>,
) => Promise<Response> | Response;

export interface TransportOptions {
  /** Default http://medic.internal/graphql (the host is irrelevant in-process). */
  url?: string;
  /** Maps the actor into the server context (default: `{ principal: {name, role, via: 'in-process', bot: true} }`). */
  serverContext?: (actor: GraphqlActor) => Record<string, unknown>;
  /** Extra request headers per actor (a remote API: the bearer token and the acting user). */
  headers?: (actor: GraphqlActor) => Record<string, string>;
}

export const inProcessPrincipal = (actor: GraphqlActor) => ({
  principal: { name: actor.id, role: actor.role, via: 'in-process' as const, bot: true },
});

export function graphqlOverFetch(fetchFn: YogaFetch, options: TransportOptions = {}): GraphqlClient {
  const url = options.url ?? 'http://medic.internal/graphql';
  const ctx = options.serverContext ?? inProcessPrincipal;
  const extra = options.headers ?? (() => ({}));

  const run = async (query: string, variables: Record<string, unknown>, actor: GraphqlActor) => {
    const res = await fetchFn(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json',
          ...extra(actor),
        },
        body: JSON.stringify({ query, variables }),
      },
      ctx(actor),
    );
    const text = await res.text();
    try {
      return JSON.parse(text) as GraphqlResult;
    } catch {
      return {
        errors: [{ message: `HTTP ${res.status}: ${text.slice(0, 200)}`, extensions: { code: 'INTERNAL' } }],
      };
    }
  };

  const client = run as GraphqlClient;
  client.subscribe = (query, variables, actor, hooks) => ({
    async *[Symbol.asyncIterator]() {
      const abort = new AbortController();
      if (hooks?.signal?.aborted) return;
      hooks?.signal?.addEventListener('abort', () => abort.abort(), { once: true });
      const res = await fetchFn(
        url,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...extra(actor) },
          body: JSON.stringify({ query, variables }),
          signal: abort.signal,
        },
        ctx(actor),
      );
      if (!res.ok || !res.body) {
        throw new Error(`subscription failed: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
      }
      hooks?.onOpen?.();
      try {
        for await (const frame of sseFrames(res.body, abort.signal)) {
          if (frame.event === 'complete') return;
          if (frame.data) yield JSON.parse(frame.data) as GraphqlResult;
        }
      } finally {
        abort.abort();
      }
    },
  });
  return client;
}

/**
 * Splits a text/event-stream body into frames (`event` and the joined `data` lines), parsed by
 * eventsource-parser (the SSE grammar: CR, LF or CRLF line ends, also split across chunks;
 * comments; multi-line data). Ends when the stream ends or `signal` aborts (an in-process
 * response stream may not end on a request abort by itself, so the pending read is abandoned
 * and the stream cancelled in the background).
 */
export async function* sseFrames(
  body: ReadableStream<Uint8Array>,
  signal?: AbortSignal,
): AsyncGenerator<{ event: string; data: string }> {
  const decoder = new TextDecoder();
  const frames: { event: string; data: string }[] = [];
  const parser = createParser({
    onEvent: (message) => frames.push({ event: message.event ?? 'message', data: message.data }),
  });
  const reader = body.getReader();
  const aborted = new Promise<{ done: true; value: undefined }>((resolve) => {
    if (signal?.aborted) resolve({ done: true, value: undefined });
    signal?.addEventListener('abort', () => resolve({ done: true, value: undefined }), { once: true });
  });
  let endsInCr = false;
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), aborted]);
      if (done) {
        // The parser holds a final CR back in case an LF follows; none will: end that line.
        if (endsInCr && !signal?.aborted) parser.feed('\n');
        while (frames.length > 0) yield frames.shift()!;
        break;
      }
      const text = decoder.decode(value, { stream: true });
      if (text) endsInCr = text.endsWith('\r');
      parser.feed(text);
      while (frames.length > 0) yield frames.shift()!;
    }
  } finally {
    void reader.cancel().catch(() => {});
  }
}

/** A yoga instance, or anything with its `fetch(url, init, serverContext)`. */
export interface YogaLike {
  // biome-ignore lint/suspicious/noExplicitAny: yoga's fetch is overloaded; only this call shape is used
  fetch(input: URL, init: RequestInit, serverContext: any): Promise<Response> | Response;
}

/**
 * The bot's GraphQL client over `createApp(...).yoga`. Takes a getter so the bot can be created
 * before the app that mounts its routes: `graphqlOverYoga(() => app.yoga)`.
 */
export function graphqlOverYoga(yoga: () => YogaLike, options: TransportOptions = {}): GraphqlClient {
  return graphqlOverFetch((url, init, ctx) => yoga().fetch(new URL(url), init, ctx), options);
}

/**
 * The bot's GraphQL client for a remote medic API (e.g. a fleet hub): plain HTTP(S) `fetch` with
 * a `bot` token; each request names the Slack user it acts for (`x-medic-actor`, with the role the
 * bot resolved: `x-medic-actor-role`), which the API honours for `bot` tokens only
 * (src/api/http/auth.ts `actingPrincipal`). Same operations, same subscription (SSE).
 */
export function graphqlOverHttp(
  url: string | (() => string),
  token: string,
  fetchFn: (url: string, init: RequestInit) => Promise<Response> = fetch,
): GraphqlClient {
  const target = typeof url === 'string' ? () => url : url;
  return graphqlOverFetch((_u, init) => fetchFn(target(), init), {
    serverContext: () => ({}),
    headers: (actor) => ({
      authorization: `Bearer ${token}`,
      'x-medic-actor': actor.id,
      'x-medic-actor-role': actor.role,
    }),
  });
}
