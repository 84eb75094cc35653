/**
 * Static files medic serves itself under `/static/`, so no page it serves needs the internet:
 * the status page's script and style (`static/` in the package), the graphql-ws browser client
 * (from the npm package), and GraphiQL's bundle, style, Monaco workers and icon (from
 * `@graphql-yoga/render-graphiql`, loaded on first request: ~9 MB of strings nobody else needs).
 * Each answer carries an ETag (304 on a match) and `nosniff`; unknown paths are 404.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PACKAGE_ROOT } from '../../paths.js';

export const STATIC_PREFIX = '/static/';

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

interface Asset {
  type: string;
  load(): Promise<string | Buffer>;
}

const require = createRequire(import.meta.url);
const packageDir = (name: string) => dirname(require.resolve(`${name}/package.json`));
const fromPackage = (file: string) => () => readFile(join(PACKAGE_ROOT, 'static', file), 'utf8');

type GraphiqlModule = typeof import('@graphql-yoga/render-graphiql/graphiql');
let graphiql: Promise<GraphiqlModule> | null = null;
const fromGraphiql =
  (pick: (m: GraphiqlModule) => string | Buffer): Asset['load'] =>
  async () => {
    graphiql ??= import('@graphql-yoga/render-graphiql/graphiql');
    return pick(await graphiql);
  };

/** `data:image/x-icon;base64,…` → the icon's bytes. */
const dataUrlBytes = (url: string) => Buffer.from(url.slice(url.indexOf(',') + 1), 'base64');

const ASSETS: Record<string, Asset> = {
  'status.js': { type: JS, load: fromPackage('status.js') },
  'status.css': { type: CSS, load: fromPackage('status.css') },
  'favicon.svg': { type: 'image/svg+xml', load: fromPackage('favicon.svg') },
  'graphiql-boot.js': { type: JS, load: fromPackage('graphiql-boot.js') },
  'vendor/graphql-ws.js': {
    type: JS,
    load: () => readFile(join(packageDir('graphql-ws'), 'umd', 'graphql-ws.min.js'), 'utf8'),
  },
  'graphiql/graphiql.js': { type: JS, load: fromGraphiql((m) => m.js) },
  'graphiql/graphiql.css': { type: CSS, load: fromGraphiql((m) => m.css) },
  'graphiql/editor.worker.js': { type: JS, load: fromGraphiql((m) => m.editorWorkerService) },
  'graphiql/json.worker.js': { type: JS, load: fromGraphiql((m) => m.jsonWorker) },
  'graphiql/graphql.worker.js': { type: JS, load: fromGraphiql((m) => m.graphqlWorker) },
  'graphiql/favicon.ico': { type: 'image/x-icon', load: fromGraphiql((m) => dataUrlBytes(m.favicon)) },
};

/** Every URL under /static/ (for tests and the page-crawl check). */
export const STATIC_PATHS = Object.keys(ASSETS).map((name) => `${STATIC_PREFIX}${name}`);

const loaded = new Map<string, Promise<{ body: Buffer; etag: string }>>();

function load(name: string, asset: Asset) {
  let entry = loaded.get(name);
  if (!entry) {
    entry = asset.load().then((content) => {
      const body = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
      return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
    });
    // A failed read is retried on the next request rather than cached.
    entry.catch(() => loaded.delete(name));
    loaded.set(name, entry);
  }
  return entry;
}

/** Answers a GET/HEAD under /static/, or null when the path is not a static asset. */
export async function serveStatic(request: Request, pathname: string): Promise<Response | null> {
  if (!pathname.startsWith(STATIC_PREFIX)) return null;
  const name = pathname.slice(STATIC_PREFIX.length);
  const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
  if (!asset) return new Response('not found', { status: 404, headers: { 'content-type': 'text/plain' } });
  const { body, etag } = await load(name, asset);
  const headers = {
    'content-type': asset.type,
    etag,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
  };
  if (request.headers.get('if-none-match') === etag) return new Response(null, { status: 304, headers });
  return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), { headers });
}
