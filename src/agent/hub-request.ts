/**
 * One JSON POST from the agent to the hub over node:http or node:https (the URL decides). With
 * `ca` (MEDIC_HUB_CA, PEM) only that CA is trusted for an https hub; without it Node's default
 * store is. Node's fetch cannot take a CA per request without undici's dispatcher, which Node 20
 * does not expose, hence node:https (the same client the CLI uses).
 *
 * Resolves with the status and the parsed JSON body (null when not JSON); rejects on a network
 * or TLS failure with a `HubRequestError` whose message says what to fix, and on `timeoutMs`
 * without an answer.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Clock } from '../clock/clock.js';

/** OpenSSL's codes for "this certificate does not verify against the trusted CAs". */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
]);

export class HubRequestError extends Error {
  constructor(
    message: string,
    /** The Node/OpenSSL error code when there is one. */
    readonly code: string | null,
    /** True for a configuration problem (an untrusted certificate, a refused token), not an outage. */
    readonly config: boolean,
  ) {
    super(message);
    this.name = 'HubRequestError';
  }
}

/** One clear message for a failed connection to the hub. */
export function explain(url: URL, err: NodeJS.ErrnoException): HubRequestError {
  const code = err.code ?? null;
  if (code && UNTRUSTED.has(code))
    return new HubRequestError(
      `the hub's TLS certificate at ${url.host} is not signed by a trusted CA (${code}): set MEDIC_HUB_CA to the CA certificate that signed it`,
      code,
      true,
    );
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return new HubRequestError(
      `the hub's TLS certificate does not name ${url.hostname} (${code}): use the host name the certificate was issued for in MEDIC_HUB_URL`,
      code,
      true,
    );
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')
    return new HubRequestError(`the hub's TLS certificate is not valid now (${code})`, code, true);
  if (code === 'EPROTO' || /wrong version number|packet length too long/i.test(err.message))
    return new HubRequestError(
      `TLS handshake with ${url.host} failed (${err.message}): does the hub serve ${url.protocol === 'https:' ? 'plain HTTP (use http://)' : 'HTTPS (use https://)'}?`,
      code,
      true,
    );
  // A TLS server drops a plain-HTTP request without a word: the likeliest cause, as a question.
  const hint =
    url.protocol === 'http:' && code === 'ECONNRESET'
      ? ' — if the hub serves HTTPS, MEDIC_HUB_URL must start with https://'
      : '';
  return new HubRequestError(`${url.host}: ${err.message}${code ? ` (${code})` : ''}${hint}`, code, false);
}

export interface HubRequest {
  url: URL;
  token: string;
  /** The JSON body; or `parts`, the body already serialised, written one after the other. */
  body?: unknown;
  parts?: readonly Buffer[];
  ca?: string | Buffer;
  timeoutMs: number;
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  /** Ends the request early (rejects with the reason): e.g. a long wait when the agent stops. */
  signal?: AbortSignal;
  /** Headers beyond the content and the token (e.g. the lease request's `Medic-Wait-Ms`). */
  headers?: Readonly<Record<string, string>>;
}

export function postToHub(req: HubRequest): Promise<{ status: number; body: unknown }> {
  // Bytes, not a string: Node writes a large string body to the socket far more slowly (~3 ms
  // of CPU for 250 KB against ~0.3 ms as Buffers; docs/BENCHMARKS.md, "Fleet hub, run 7").
  const parts = req.parts ?? [Buffer.from(JSON.stringify(req.body), 'utf8')];
  const length = parts.reduce((n, p) => n + p.length, 0);
  const tls = req.url.protocol === 'https:';
  const send = tls ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      req.clock.clearTimeout(timer);
      fn();
    };
    const request = send(
      req.url,
      {
        method: 'POST',
        headers: {
          ...req.headers,
          'content-type': 'application/json',
          'content-length': length,
          authorization: `Bearer ${req.token}`,
        },
        ...(tls && req.ca ? { ca: req.ca } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let body: unknown = null;
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            // not JSON: the caller judges by the status
          }
          finish(() => resolve({ status: res.statusCode ?? 0, body }));
        });
        res.on('error', (err) => finish(() => reject(explain(req.url, err))));
      },
    );
    // A hub that accepts the connection but never answers must not stall the caller forever.
    const timer = req.clock.setTimeout(() => {
      finish(() => reject(new HubRequestError(`no answer within ${req.timeoutMs} ms`, 'ETIMEDOUT', false)));
      request.destroy();
    }, req.timeoutMs);
    request.on('error', (err: NodeJS.ErrnoException) => finish(() => reject(explain(req.url, err))));
    const abort = () => {
      finish(() => reject(new HubRequestError('request aborted', 'ABORT_ERR', false)));
      request.destroy();
    };
    if (req.signal?.aborted) abort();
    else req.signal?.addEventListener('abort', abort, { once: true });
    for (const part of parts.slice(0, -1)) request.write(part);
    request.end(parts.at(-1));
  });
}
