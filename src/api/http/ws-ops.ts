/**
 * The parts of GraphQL over WebSocket that the agent (ws.ts) and the hub (src/hub/ws.ts) share:
 * reading the token from `connectionParams`, one AbortController per operation (aborted when the
 * operation ends, the client completes it or the socket closes, so a subscription's listener goes
 * at once), the graphql-ws `execute` / `subscribe` / `onClose` hooks over yoga's enveloped
 * functions, and the `/graphql`-only upgrade with its shutdown. Each side keeps its own
 * `onConnect` (its own tokens) and `onSubscribe` (its own yoga context).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { DocumentNode, ExecutionArgs, ExecutionResult, GraphQLError, GraphQLSchema } from 'graphql';
import type { ServerOptions } from 'graphql-ws';
import type { useServer } from 'graphql-ws/use/ws';
import type { WebSocketServer } from 'ws';

/** What an operation's `rootValue` carries from onSubscribe to execute/subscribe. */
export interface OperationRoot {
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
  abort: AbortController;
}

/** The socket's open operations (aborted when it closes). */
export type WsExtra = { aborts?: Set<AbortController> };

/** The Authorization value from connectionParams (`authorization`, `Authorization` or a bare `token`). */
export function authorizationParam(params: Readonly<Record<string, unknown>> | undefined): string | null {
  if (!params) return null;
  const header = params.authorization ?? params.Authorization;
  if (typeof header === 'string') return header;
  return typeof params.token === 'string' ? `Bearer ${params.token}` : null;
}

/** A new operation's AbortController, registered with its socket until it aborts. */
export function openOperation(extra: WsExtra): AbortController {
  const abort = new AbortController();
  extra.aborts ??= new Set();
  const open = extra.aborts;
  open.add(abort);
  abort.signal.addEventListener('abort', () => open.delete(abort), { once: true });
  return abort;
}

/** yoga's enveloped functions for one operation (`yoga.getEnveloped(...)`), as this module uses them. */
export interface EnvelopedOperation {
  schema: GraphQLSchema;
  parse: (source: string) => DocumentNode;
  validate: (schema: GraphQLSchema, document: DocumentNode) => readonly GraphQLError[];
  contextFactory: () => unknown;
  execute: OperationRoot['execute'];
  subscribe: OperationRoot['subscribe'];
}

/**
 * onSubscribe's common part: parse and validate the operation, build its context, let `check`
 * refuse it (e.g. a rate limit), and return the execution args with the operation's root — or
 * the errors, the operation aborted.
 */
export async function operationArgs(
  env: EnvelopedOperation,
  payload: { query: string; operationName?: string | null; variables?: Record<string, unknown> | null },
  abort: AbortController,
  check?: (context: unknown) => readonly GraphQLError[] | null,
): Promise<ExecutionArgs | readonly GraphQLError[]> {
  let document: DocumentNode;
  try {
    document = env.parse(payload.query);
  } catch (err) {
    abort.abort();
    return [err as GraphQLError];
  }
  const errors = env.validate(env.schema, document);
  if (errors.length > 0) {
    abort.abort();
    return errors;
  }
  const contextValue = await env.contextFactory();
  const refused = check?.(contextValue);
  if (refused) {
    abort.abort();
    return refused;
  }
  const root: OperationRoot = { execute: env.execute, subscribe: env.subscribe, abort };
  return {
    schema: env.schema,
    document,
    operationName: payload.operationName,
    variableValues: payload.variables,
    contextValue,
    rootValue: root,
  };
}

/** Wraps a subscription's iterator so `return()` (client complete, socket close) aborts first. */
export function abortingIterator<T>(inner: AsyncIterator<T>, abort: AbortController): AsyncGenerator<T> {
  const wrapper = {
    next: () => inner.next(),
    return: async (value?: unknown) => {
      abort.abort();
      return (await inner.return?.(value)) ?? { done: true, value: undefined };
    },
    throw: async (err?: unknown) => {
      abort.abort();
      if (inner.throw) return inner.throw(err);
      throw err;
    },
    [Symbol.asyncIterator]: () => wrapper,
  } as AsyncGenerator<T>;
  return wrapper;
}

/** graphql-ws hooks running an operation through the functions onSubscribe put in its root. */
export function rootedHooks(): Pick<
  ServerOptions<Record<string, unknown>, WsExtra>,
  'execute' | 'subscribe' | 'onClose'
> {
  return {
    execute: async (args) => {
      const root = args.rootValue as OperationRoot;
      try {
        return (await root.execute(args)) as ExecutionResult;
      } finally {
        root.abort.abort();
      }
    },
    subscribe: async (args) => {
      const root = args.rootValue as OperationRoot;
      const result = await root.subscribe(args);
      if (result && typeof result === 'object' && Symbol.asyncIterator in result) {
        return abortingIterator(
          (result as AsyncIterable<unknown>)[Symbol.asyncIterator](),
          root.abort,
        ) as never;
      }
      root.abort.abort();
      return result as never;
    },
    onClose(ctx) {
      for (const abort of ctx.extra.aborts ?? []) abort.abort();
    },
  };
}

/** Takes upgrades of `path` only (404 otherwise); `close` disposes graphql-ws, then the sockets. */
export function wsEndpoint(wss: WebSocketServer, server: ReturnType<typeof useServer>, path: string) {
  return {
    upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
      const pathname = (req.url ?? '/').split('?')[0];
      if (pathname !== path) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    },
    async close(): Promise<void> {
      await server.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
