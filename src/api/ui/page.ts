/**
 * The status page's shell at `/`: no data (the token lives in the tab's sessionStorage, so the
 * server cannot know the caller until the script asks), a sign-in form, the confirmation dialog
 * and the scripts. `static/status.js` fetches the server-rendered cards (`/ui/services`) with the
 * token, follows the `recoveryEvents` subscription over graphql-ws and re-renders the card of
 * each service an event names; `/ui/budget` fills the fleet restart budget section above the cards
 * (empty without budget groups), again on events and every 5 s. The Content-Security-Policy allows only same-origin scripts and
 * styles (no inline code at all).
 */
import { html } from './html.js';

export const STATUS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers every HTML page of medic carries. */
export function pageHeaders(csp: string): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  };
}

export function renderStatusPage(): string {
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>medic status</title>
    <link rel="icon" href="/static/favicon.svg">
    <link rel="stylesheet" href="/static/status.css">
    <script src="/static/vendor/graphql-ws.js" defer></script>
    <script src="/static/status.js" defer></script>
  </head>
  <body>
    <header class="top">
      <h1>medic</h1>
      <span id="live" class="live" hidden>live</span>
      <span id="who"></span>
      <button type="button" id="sign-out" hidden>Sign out</button>
      <nav><a href="/graphql">GraphiQL</a> · <a href="/runbook">runbook</a> · <a href="/metrics">metrics</a></nav>
    </header>
    <noscript><p class="error">This page needs JavaScript. The same data: <code>GET /status</code> or <code>medic status</code>.</p></noscript>
    <form id="sign-in" hidden>
      <label>API token <input type="password" id="token" name="token" autocomplete="off" required></label>
      <button type="submit">Sign in</button>
      <p class="muted">The token is kept in this tab only (sessionStorage) and sent as a bearer token. Create one with <code>medic token create --name me --role operator</code>.</p>
      <p id="sign-in-error" class="error" role="alert"></p>
    </form>
    <p id="error" class="error" role="alert"></p>
    <div id="budget"></div>
    <p id="unseen" class="muted" role="status" hidden></p>
    <main id="services"></main>
    <dialog id="confirm">
      <form method="dialog" id="confirm-form">
        <h2 id="confirm-title"></h2>
        <p id="confirm-what"></p>
        <label id="ttl-row">For <select id="ttl" name="ttl">
          <option value="900">15 minutes</option><option value="1800" selected>30 minutes</option>
          <option value="3600">1 hour</option><option value="14400">4 hours</option><option value="86400">1 day</option>
        </select></label>
        <label>Reason <input id="reason" name="reason" maxlength="500" required></label>
        <p id="confirm-error" class="error" role="alert"></p>
        <menu><button value="cancel" formnovalidate id="confirm-cancel">Cancel</button> <button value="ok" id="confirm-ok">Confirm</button></menu>
      </form>
    </dialog>
  </body>
</html>
`.text;
}
