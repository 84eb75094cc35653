/**
 * `POST /agent/v1/ship` (src/fleet/protocol.ts): authenticates the agent token, bounds and parses
 * the body, checks the token's node and the event order, then stores the batch (src/hub/ingest.ts).
 * Every refusal is one clear JSON error and one log line.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerToken } from '../api/http/auth.js';
import type { Clock } from '../clock/clock.js';
import { batchSchema, MAX_BATCH_BYTES, orderProblem, type ShipErrorCode } from '../fleet/protocol.js';
import type { Logger } from '../log.js';
import type { HubDb } from './db.js';
import type { HubDenials } from './denials.js';
import { ingest } from './ingest.js';
import type { HubMetrics } from './metrics.js';
import { remoteStates } from './remote-states.js';
import { findHubToken } from './tokens.js';

export interface ShipDeps {
  db: HubDb;
  clock: Pick<Clock, 'now'>;
  metrics: HubMetrics;
  logger: Logger;
  /** Refusals by role or node binding, audited at the hub (denials.ts). */
  denials?: HubDenials;
  /** MEDIC_HUB_SILENCE_SEC in ms: a watched remote state older than this is stale (default 30 s). */
  silenceMs?: number;
}

const STATUS: Record<ShipErrorCode, number> = {
  UNAUTHENTICATED: 401,
  WRONG_NODE: 403,
  WRONG_ROLE: 403,
  MALFORMED_BATCH: 400,
  OUT_OF_ORDER: 400,
  GAP: 409,
  STORE_CHANGED: 409,
  BATCH_TOO_LARGE: 413,
  HUB_UNAVAILABLE: 503,
};

/**
 * `body` as JSON with a declared length, not chunked framing (writeHead fixes the headers before
 * `end` knows it); `serverTiming`, if given, as the `Server-Timing` header.
 */
export function sendJson(res: ServerResponse, status: number, body: unknown, serverTiming?: string): void {
  const data = JSON.stringify(body);
  const length = Buffer.byteLength(data);
  // Every header in writeHead's one object: a setHeader before it sends node down its slower
  // path of merging the two (measured in the hub's profile under the lease bench).
  res.writeHead(
    status,
    serverTiming === undefined
      ? { 'content-type': JSON_TYPE, 'cache-control': 'no-store', 'content-length': length }
      : {
          'content-type': JSON_TYPE,
          'cache-control': 'no-store',
          'content-length': length,
          'server-timing': serverTiming,
        },
  );
  res.end(data);
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** The body, or null once it exceeds `limit` bytes (the rest is not read). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    // One chunk is the usual case (a small body arrives with its headers): no concat for it.
    let first: Buffer | undefined;
    let more: Buffer[] | undefined;
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        resolve(null);
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      if (first === undefined) first = c;
      else if (more === undefined) more = [first, c];
      else more.push(c);
    });
    req.on('end', () => resolve(more ? Buffer.concat(more) : (first ?? Buffer.alloc(0))));
    req.on('error', reject);
  });
}

export async function handleShip(req: IncomingMessage, res: ServerResponse, deps: ShipDeps): Promise<void> {
  const log = deps.logger;
  const refuse = (code: ShipErrorCode, message: string, extra: Record<string, unknown> = {}) => {
    deps.metrics.batchRefused(code);
    log.warn({ code, ...extra }, `agent batch refused: ${message}`);
    // Only the cursor goes back (it says where to resume); the rest is for the log.
    const resume = typeof extra.cursor === 'number' ? { cursor: extra.cursor } : {};
    sendJson(res, STATUS[code], { error: { code, message }, ...resume });
  };
  const secret = bearerToken(req.headers.authorization ?? null);
  if (!secret) return refuse('UNAUTHENTICATED', 'missing bearer token');
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BATCH_BYTES) return refuse('BATCH_TOO_LARGE', `body over ${MAX_BATCH_BYTES} bytes`);
  const body = await readBody(req, MAX_BATCH_BYTES);
  if (body === null) return refuse('BATCH_TOO_LARGE', `body over ${MAX_BATCH_BYTES} bytes`);
  let found: Awaited<ReturnType<typeof findHubToken>>;
  try {
    found = await findHubToken(deps.db, secret);
  } catch (err) {
    log.error({ err }, 'PostgreSQL unreachable while authenticating an agent');
    return sendJson(res, 503, {
      error: { code: 'HUB_UNAVAILABLE', message: 'the hub database is unreachable' },
    });
  }
  if (!found) return refuse('UNAUTHENTICATED', 'invalid or revoked agent token');
  if (found.role !== 'agent' || !found.node) {
    deps.denials?.refuse({
      actor: found.name,
      role: found.role,
      operation: 'ship',
      required: 'agent',
      node: null,
      service: null,
    });
    return refuse('WRONG_ROLE', `token '${found.name}' has role ${found.role}: only agent tokens may ship`);
  }
  const token = { name: found.name, node: found.node };
  let raw: unknown;
  try {
    raw = JSON.parse(body.toString('utf8'));
  } catch {
    return refuse('MALFORMED_BATCH', 'body is not JSON', { token: token.name });
  }
  const parsed = batchSchema.safeParse(raw);
  if (!parsed.success) {
    const tooMany = parsed.error.issues.some((i) => i.code === 'too_big' && i.path[0] === 'events');
    const message = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    return refuse(tooMany ? 'BATCH_TOO_LARGE' : 'MALFORMED_BATCH', message, { token: token.name });
  }
  const batch = parsed.data;
  if (batch.node !== token.node) {
    deps.denials?.refuse({
      actor: token.name,
      role: 'agent',
      operation: `ship for node ${batch.node}`,
      required: `agent token of node ${batch.node}`,
      node: token.node,
      service: null,
    });
    return refuse('WRONG_NODE', `this token ships for node ${token.node}, not ${batch.node}`, {
      token: token.name,
    });
  }
  const order = orderProblem(batch);
  if (order) return refuse('OUT_OF_ORDER', order, { node: batch.node });
  try {
    const result = await ingest(deps.db, batch, deps.clock.now());
    if (!result.ok)
      return refuse(result.code, result.message, {
        node: batch.node,
        ...(result.code === 'GAP' ? { cursor: result.cursor } : {}),
      });
    deps.metrics.eventsStored(result.stored);
    const remote = await watched(deps, batch.watch, batch.node);
    sendJson(res, 200, { cursor: result.cursor, commands: result.commands, ...(remote ? { remote } : {}) });
  } catch (err) {
    log.error({ err, node: batch.node }, 'storing an agent batch failed');
    sendJson(res, 503, { error: { code: 'HUB_UNAVAILABLE', message: 'the hub could not store the batch' } });
  }
}

/**
 * The states of the remote services the batch watches (fleet dependencies), or undefined: none
 * watched, or the query failed (the batch is stored; the agent's knowledge ages and turns stale).
 */
async function watched(deps: ShipDeps, watch: readonly string[] | undefined, node: string) {
  if (!watch?.length) return undefined;
  try {
    return await remoteStates(deps.db, watch, deps.clock.now(), deps.silenceMs ?? 30_000);
  } catch (err) {
    deps.logger.error({ err, node }, 'reading the watched remote services failed');
    return undefined;
  }
}
