/**
 * The minimal HTTP surface `medic serve` needs before the API (src/server/app.ts) is wired in:
 * `GET /healthz` (the process is alive: 200) and `GET /readyz` (200 with the readiness payload,
 * 503 with the reasons when not ready). Everything else: 404. `listen` resolves with the bound
 * URL (port 0 picks a free port); given a certificate and key it serves HTTPS (`https://` URL).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Readiness } from '../core/readiness.js';

export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void;

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

/** /healthz and /readyz only. */
export function basicHandler(readiness: () => Readiness): NodeHandler {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'method not allowed' });
    if (path === '/healthz') return json(res, 200, { ok: true });
    if (path === '/readyz') {
      const r = readiness();
      return json(res, r.ready ? 200 : 503, r);
    }
    json(res, 404, { error: 'not found' });
  };
}

export interface Listening {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** The HTTP address cannot be bound: one message naming the address and the fix (exit 2). */
export class ListenError extends Error {
  constructor(
    readonly code: string,
    host: string,
    port: number,
  ) {
    const why: Record<string, string> = {
      EADDRINUSE: 'the port is already in use (another medic or another program): stop it or set MEDIC_PORT',
      EADDRNOTAVAIL:
        'the address is not one of this machine: set MEDIC_HOST to a local address (e.g. 127.0.0.1)',
      EACCES: 'permission denied (ports below 1024 need privileges): set MEDIC_PORT above 1023',
      ENOTFOUND: 'the host name does not resolve: set MEDIC_HOST to a local address',
    };
    super(`cannot listen on ${host}:${port}: ${why[code] ?? code}`);
    this.name = 'ListenError';
  }
}

/** A certificate (chain included) and its private key, PEM. */
export interface TlsFiles {
  cert: Buffer | string;
  key: Buffer | string;
}

export function listen(handler: NodeHandler, host: string, port: number, tls?: TlsFiles): Promise<Listening> {
  // Throws at once on a key that does not match the certificate (the caller reports it).
  const server = tls ? createTlsServer({ cert: tls.cert, key: tls.key }, handler) : createServer(handler);
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code ? new ListenError(err.code, host, port) : err),
    );
    server.listen(port, host, () => {
      server.removeAllListeners('error');
      const addr = server.address() as AddressInfo;
      const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      resolve({
        server,
        url: `${tls ? 'https' : 'http'}://${shownHost}:${addr.port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
