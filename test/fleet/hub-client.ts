/** Test helpers: an agent speaking the real ship protocol, and GraphQL / SSE against a hub. */
import { SHIP_PATH } from '../../src/fleet/protocol.js';

export interface ShipAnswer {
  status: number;
  body: {
    cursor?: number;
    commands?: {
      id: number;
      service: string;
      operation: string;
      args: Record<string, unknown>;
      actor: string;
      role: string;
      reason: string;
    }[];
    error?: { code: string; message: string };
  };
}

export async function ship(hubUrl: string, token: string, body: unknown): Promise<ShipAnswer> {
  const res = await fetch(hubUrl + SHIP_PATH, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as ShipAnswer['body'] };
}

export const batch = (
  node: string,
  after: number | null,
  events: unknown[] = [],
  services: unknown[] = [],
  results: unknown[] = [],
) => ({ node, version: 'test', after, events, services, results });

export const view = (name: string, tag: string) => ({ name, unit: `${name}.service`, state: { tag } });

export type Gql = {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: GraphQL answers are checked by the tests' assertions
  data: any;
  errors?: { message: string; extensions?: { code?: string } }[];
};

export async function gql(hubUrl: string, token: string | null, query: string, variables = {}): Promise<Gql> {
  const res = await fetch(`${hubUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: unknown; errors?: Gql['errors'] };
  return { status: res.status, data: body.data, errors: body.errors };
}

/**
 * A GraphQL subscription over SSE (graphql-yoga's default transport): collects `next` payloads
 * until `close()`. Resolves `ready` once the stream is open (the server has subscribed).
 */
export function subscribe(hubUrl: string, token: string, query: string) {
  const abort = new AbortController();
  const received: unknown[] = [];
  const ready = (async () => {
    const res = await fetch(`${hubUrl}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({ query }),
      signal: abort.signal,
    });
    if (!res.ok || !res.body) throw new Error(`subscription answered ${res.status}`);
    return res.body;
  })();
  const done = ready.then(async (body) => {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { value, done: end } = await reader.read();
        if (end) return;
        buffer += decoder.decode(value, { stream: true });
        let cut = buffer.indexOf('\n\n');
        while (cut >= 0) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const data = frame
            .split('\n')
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).trim())
            .join('\n');
          if (frame.includes('event: next') && data) received.push(JSON.parse(data).data);
          cut = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // aborted
    }
  });
  return {
    ready,
    received,
    close: async () => {
      abort.abort();
      await done.catch(() => {});
    },
  };
}
