/**
 * The operator commands' way to medic: GraphQL over HTTP (queries, mutations) and over
 * WebSocket (`--follow`), with the token as a bearer token. Every failure becomes an `OpsError`
 * with one clear message and an exit code: 2 when medic cannot be reached, refuses the token or
 * rejects the request as invalid (configuration or input), 1 when an action was refused
 * (NOT_ALLOWED names the role it needs; CONFLICT says why nothing changed).
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { EXIT_FINDING, EXIT_INVALID } from '../io.js';

export class OpsError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export interface OpsTarget {
  /** Base URL, e.g. http://127.0.0.1:4000 (MEDIC_URL or --url). */
  url: string;
  token: string;
  /** MEDIC_HUB_CA (PEM): the only CA trusted for an https URL (e.g. a hub with its own CA). */
  ca?: Buffer;
}

/**
 * A mutation's union result: the service (or drift report), a MutationError, or at the fleet hub
 * an AmbiguousError (`nodes`) or a PendingCommand (the node's agent has not answered yet).
 */
export interface MutationOutcome {
  __typename: string;
  code?: string;
  message?: string;
  requiredRole?: string;
  decision?: string | null;
  nodes?: string[];
  commandId?: number;
}

/** The selection every command asks for beside its own result (works on agent and hub alike). */
export const OUTCOME_FIELDS = `... on MutationError { code message }
      ... on NotAllowedError { requiredRole }
      ... on ConflictError { decision }
      ... on AmbiguousError { nodes }
      ... on PendingCommand { message commandId }`;

/** "several nodes run 'api' (a, b): pass --node NAME" (exit 2): the fleet hub needs the node. */
export const ambiguous = (message: string, nodes: readonly string[]) =>
  new OpsError(
    `${message.replace(/: pass node$/, '')}: pass --node NAME${nodes.length ? ` (one of: ${nodes.join(', ')})` : ''}`,
    EXIT_INVALID,
  );

interface GraphqlBody<T> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string; nodes?: string[] } }[];
}

/** OpenSSL's codes for a certificate that does not verify against the trusted CAs. */
const UNTRUSTED =
  /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT)$/;

const reach = (url: string, err: unknown) => {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const why = e.code ?? e.cause?.code ?? e.cause?.message ?? e.message;
  if (why && UNTRUSTED.test(why))
    return new OpsError(
      `cannot reach medic at ${url}: its TLS certificate is not signed by a trusted CA (${why}); set MEDIC_HUB_CA to the CA certificate that signed it`,
      EXIT_INVALID,
    );
  return new OpsError(
    `cannot reach medic at ${url}: ${why} (is \`medic serve\` running? set MEDIC_URL or --url)`,
    EXIT_INVALID,
  );
};

/** One POST with node:http(s): the CLI starts faster without loading fetch's undici (~30-100 ms). */
function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  ca?: Buffer,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        ...(ca && target.protocol === 'https:' ? { ca } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export async function request<T>(
  target: OpsTarget,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  let res: { status: number; text: string };
  try {
    res = await post(
      `${target.url}/graphql`,
      JSON.stringify({ query, variables }),
      {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        authorization: `Bearer ${target.token}`,
      },
      target.ca,
    );
  } catch (err) {
    throw reach(target.url, err);
  }
  const { text } = res;
  let body: GraphqlBody<T>;
  try {
    body = JSON.parse(text) as GraphqlBody<T>;
  } catch {
    throw new OpsError(
      `${target.url} answered HTTP ${res.status} without GraphQL (${text.slice(0, 120)})`,
      EXIT_INVALID,
    );
  }
  const message = body.errors?.map((e) => e.message).join('; ');
  const unclear = body.errors?.find((e) => e.extensions?.code === 'AMBIGUOUS');
  if (unclear) throw ambiguous(unclear.message, (unclear.extensions as { nodes?: string[] }).nodes ?? []);
  if (res.status === 401) {
    throw new OpsError(
      `medic refused the token (401 ${message}); set MEDIC_TOKEN or --token-file`,
      EXIT_INVALID,
    );
  }
  if (body.errors?.length || !body.data) throw new OpsError(message ?? `HTTP ${res.status}`, EXIT_INVALID);
  return body.data;
}

/** Exit code and message for a mutation result that is an error, or null when it is the service. */
export function refusal(outcome: MutationOutcome, role: string | null): OpsError | null {
  if (outcome.__typename === 'Service' || outcome.__typename === 'DriftReport') return null;
  // At the hub: not answered by the node's agent within the hub's wait; not done (yet).
  if (outcome.__typename === 'PendingCommand')
    return new OpsError(`not confirmed: ${outcome.message}`, EXIT_FINDING);
  switch (outcome.code) {
    case 'AMBIGUOUS':
      return ambiguous(outcome.message ?? 'several nodes match', outcome.nodes ?? []);
    case 'NOT_ALLOWED':
      return new OpsError(
        `not allowed: this needs the ${outcome.requiredRole} role${role ? ` (your token is ${role})` : ''}`,
        EXIT_FINDING,
      );
    case 'CONFLICT':
      return new OpsError(`refused: ${outcome.message}`, EXIT_FINDING);
    default:
      return new OpsError(`${outcome.code}: ${outcome.message}`, EXIT_INVALID);
  }
}

/** Streams a subscription over graphql-ws until `signal` aborts or the server completes it. */
export async function subscribe<T>(
  target: OpsTarget,
  query: string,
  variables: Record<string, unknown>,
  onNext: (data: T) => void,
  signal: AbortSignal,
  onConnected?: () => void,
): Promise<void> {
  // Loaded here: only `events --follow` needs a WebSocket (keeps `medic status` start-up small).
  const [{ createClient }, { default: WebSocket }] = await Promise.all([import('graphql-ws'), import('ws')]);
  const client = createClient({
    url: `${target.url.replace(/^http/, 'ws')}/graphql`,
    // graphql-ws constructs the socket itself: a subclass hands it the CA.
    webSocketImpl: target.ca
      ? class extends WebSocket {
          constructor(address: string, protocols?: string | string[]) {
            super(address, protocols, { ca: target.ca });
          }
        }
      : WebSocket,
    connectionParams: { authorization: `Bearer ${target.token}` },
    retryAttempts: 0,
    on: { connected: () => onConnected?.() },
  });
  return new Promise<void>((resolve, reject) => {
    const done = () => {
      void client.dispose();
      resolve();
    };
    if (signal.aborted) return done();
    signal.addEventListener('abort', done, { once: true });
    client.subscribe<T>(
      { query, variables },
      {
        next: (result) => {
          if (result.data) onNext(result.data as T);
        },
        error: (err) => {
          void client.dispose();
          const code = (err as { code?: number }).code;
          if (code === 4403)
            reject(new OpsError('medic refused the token for the event stream (4403)', EXIT_INVALID));
          else if (Array.isArray(err))
            reject(new OpsError(err.map((e) => e.message).join('; '), EXIT_INVALID));
          else reject(reach(target.url, err));
        },
        complete: done,
      },
    );
  });
}
