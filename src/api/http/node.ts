/**
 * Bridges node's http (req, res) to a WHATWG fetch handler. The request body is read here with a
 * hard byte limit (413 beyond it, also for chunked bodies without Content-Length), and response
 * bodies are streamed chunk by chunk with backpressure, so SSE subscriptions flush as they go.
 * A client that disconnects aborts the request's signal and cancels the response stream (which
 * ends the subscription and unsubscribes from the engine).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect']);

/** Content types whose bodies must flush as they are produced (subscriptions, incremental delivery). */
const STREAMING = /text\/event-stream|multipart\/mixed/i;

export type FetchHandler = (request: Request) => Promise<Response> | Response;

/** Reads the whole body, or returns null as soon as it exceeds `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume(); // drain without buffering so the 413 can be written
        resolve(null);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(size > limit ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function tooLarge(limit: number): Response {
  return Response.json(
    {
      errors: [{ message: `request body exceeds ${limit} bytes`, extensions: { code: 'PAYLOAD_TOO_LARGE' } }],
    },
    { status: 413 },
  );
}

async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  // Keep the handler's reason phrase; node falls back to the standard one when it is empty.
  if (response.statusText) res.statusMessage = response.statusText;
  response.headers.forEach((value, key) => {
    if (key !== 'set-cookie') res.setHeader(key, value);
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  if (!response.body) {
    res.end();
    return;
  }
  const type = response.headers.get('content-type') ?? '';
  if (!STREAMING.test(type)) {
    // Plain responses: one buffer, one write (far cheaper than pumping a web stream).
    const buffer = Buffer.from(await response.arrayBuffer());
    res.setHeader('content-length', buffer.length);
    res.end(buffer);
    return;
  }
  res.flushHeaders();
  const reader = response.body.getReader();
  const cancel = () => void reader.cancel().catch(() => {});
  res.once('close', cancel);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) break;
      if (!res.write(value)) await new Promise((resolve) => res.once('drain', resolve));
    }
  } finally {
    res.off('close', cancel);
    res.end();
  }
}

/** Serves one node request through `handle`, with the body limited to `maxBodyBytes`. */
export async function serveNode(
  req: IncomingMessage,
  res: ServerResponse,
  handle: FetchHandler,
  maxBodyBytes: number,
): Promise<void> {
  const abort = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  const method = req.method ?? 'GET';
  let body: Buffer | undefined;
  if (method !== 'GET' && method !== 'HEAD') {
    const declared = Number(req.headers['content-length'] ?? 0);
    const read = declared > maxBodyBytes ? null : await readBody(req, maxBodyBytes);
    if (read === null) {
      if (declared > maxBodyBytes) req.resume();
      res.setHeader('connection', 'close');
      await writeResponse(res, tooLarge(maxBodyBytes));
      return;
    }
    body = read;
  }
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headersDistinct)) {
    if (!value || HOP_BY_HOP.has(key)) continue;
    for (const v of value) headers.append(key, v);
  }
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
  const request = new Request(url, {
    method,
    headers,
    body: body as BodyInit | undefined,
    signal: abort.signal,
  });
  await writeResponse(res, await handle(request));
}
