/**
 * GraphiQL as medic serves it: yoga's GraphiQL (from `@graphql-yoga/render-graphiql`) with every
 * asset under /static/graphiql/ instead of inline or on a CDN, so it works on hosts without
 * internet and under a Content-Security-Policy without 'unsafe-inline' scripts.
 * `static/graphiql-boot.js` points Monaco at the same-origin workers and hands GraphiQL the tab's
 * sessionStorage: the headers (Authorization) a user sets are remembered for the tab only.
 */
import { html, jsonForScript, raw } from './html.js';

/** Options yoga passes to its renderer (title, endpoint, headers, ...); shown to the page as JSON. */
export type GraphiqlOptions = Record<string, unknown> & { title?: string };

/** CSP of the GraphiQL page: React sets style attributes and Monaco embeds fonts as data: URLs. */
export const GRAPHIQL_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "worker-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function renderGraphiqlPage(options: GraphiqlOptions = {}): string {
  const title = typeof options.title === 'string' ? options.title : 'medic GraphiQL';
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>${title}</title>
    <link rel="icon" href="/static/graphiql/favicon.ico">
    <link rel="stylesheet" href="/static/graphiql/graphiql.css">
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>GraphiQL needs JavaScript. Without it, POST queries to /graphql (see docs/API.md).</noscript>
    <div id="root"></div>
    <script type="application/json" id="graphiql-options">${raw(jsonForScript(options))}</script>
    <script src="/static/graphiql-boot.js"></script>
    <script src="/static/graphiql/graphiql.js"></script>
  </body>
</html>
`.text;
}
