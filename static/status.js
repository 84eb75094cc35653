// medic status page (served at /static/status.js; no build step, no inline code).
// The token stays in this tab's sessionStorage and travels only as `Authorization: Bearer` and in
// graphql-ws connectionParams. Cards are HTML rendered (and escaped) by the server; this script
// swaps them in, follows `recoveryEvents` over graphql-ws and keeps countdowns current.

const TOKEN_KEY = 'medic.token';
const $ = (id) => document.getElementById(id);

const MUTATIONS = {
  hold: {
    title: 'Hold',
    what: 'No automatic restarts until the hold expires or is released.',
    query:
      'mutation($node:String,$name:String!,$reason:String!,$ttl:Int!){ r: holdService(node:$node, name:$name, reason:$reason, ttlSec:$ttl) { __typename ... on MutationError { code message } ... on PendingCommand { message } } }',
  },
  release: {
    title: 'Release',
    what: 'Automatic restarts resume.',
    query:
      'mutation($node:String,$name:String!,$reason:String!){ r: releaseService(node:$node, name:$name, reason:$reason) { __typename ... on MutationError { code message } ... on PendingCommand { message } } }',
  },
  approve: {
    title: 'Approve a probe restart of',
    what: 'Exactly one restart is allowed while the circuit is open.',
    query:
      'mutation($node:String,$name:String!,$reason:String!){ r: approveRestart(node:$node, name:$name, reason:$reason) { __typename ... on MutationError { code message } ... on PendingCommand { message } } }',
  },
  reset: {
    title: 'Reset the circuit of',
    what: 'The circuit closes and counters start over.',
    query:
      'mutation($node:String,$name:String!,$reason:String!){ r: resetCircuit(node:$node, name:$name, reason:$reason) { __typename ... on MutationError { code message } ... on PendingCommand { message } } }',
  },
  force: {
    title: 'Force a restart of',
    what: 'Restarts now regardless of guards; audited and counted as churn.',
    query:
      'mutation($node:String,$name:String!,$reason:String!){ r: forceRestart(node:$node, name:$name, reason:$reason) { __typename ... on MutationError { code message } ... on PendingCommand { message } } }',
  },
};

let token = sessionStorage.getItem(TOKEN_KEY);
let client = null;
const pending = new Map();

function authHeaders() {
  return { authorization: `Bearer ${token}` };
}

function showError(id, message) {
  $(id).textContent = message ?? '';
}

async function fetchCards(path) {
  const res = await fetch(path, { headers: authHeaders(), cache: 'no-store' });
  if (res.status === 401) {
    signOut('The token was refused (unknown or revoked). Sign in again.');
    return null;
  }
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return res.text();
}

function fragment(markup) {
  const template = document.createElement('template');
  template.innerHTML = markup;
  return template.content;
}

const cardFor = (node, name) =>
  document.querySelector(`article.card[data-id="${CSS.escape(`${node}/${name}`)}"]`);

// The hub lists one page of the fleet: a focused card not on it is fetched and shown first.
async function focusRequested() {
  const wanted = new URLSearchParams(location.search).get('service');
  if (!wanted) return;
  // `node/name` (the fleet's links) or a bare name (an agent's /go/<service>).
  const find = () =>
    document.querySelector(`article.card[data-id="${CSS.escape(wanted)}"]`) ??
    document.querySelector(`article.card[data-service="${CSS.escape(wanted)}"]`);
  let card = find();
  const slash = wanted.indexOf('/');
  if (!card && isFleet() && slash > 0) {
    const node = wanted.slice(0, slash);
    const name = wanted.slice(slash + 1);
    const markup = await fetchCards(
      `/ui/services/${encodeURIComponent(name)}?node=${encodeURIComponent(node)}`,
    ).catch(() => null);
    if (markup) {
      card = fragment(markup).firstElementChild;
      document.querySelector('#cards .page-cards')?.prepend(card);
    }
  }
  if (card) {
    card.classList.add('focus');
    card.scrollIntoView({ block: 'center' });
  } else showError('error', `no service named ${wanted}`);
}

const isFleet = () => Boolean($('cards')?.dataset.fleet);

// The hub's page says which page of the fleet it shows (`node`, `state`, `after` or `before`, `at`).
const PAGE_PARAMS = ['node', 'state', 'after', 'before', 'at'];

async function renderAll() {
  const here = new URLSearchParams(location.search);
  const wanted = new URLSearchParams();
  for (const key of PAGE_PARAMS) if (here.get(key)) wanted.set(key, here.get(key));
  const query = wanted.toString();
  const markup = await fetchCards(`/ui/services${query ? `?${query}` : ''}`);
  if (markup === null) return;
  const main = $('services');
  main.replaceChildren(fragment(markup));
  await renderBudget();
  unseen.clear();
  $('unseen').hidden = true;
  const cards = $('cards');
  $('who').textContent = `${cards.dataset.principal} (${cards.dataset.role})`;
  tick();
  await focusRequested();
  document.body.dataset.rendered = String(performance.now());
}

// The fleet restart budget section (empty without budget groups): after events, and every 5 s
// (numbers move without an event of this page's services: another node's lease ends; at the
// hub a group appears with its first lease request).
async function renderBudget() {
  const markup = await fetchCards('/ui/budget');
  if (markup === null) return;
  $('budget').replaceChildren(fragment(markup));
  tick();
  document.body.dataset.budgetRendered = String(performance.now());
}

let budgetTimer = null;
function refreshBudget(delay = 250) {
  if (budgetTimer) return;
  budgetTimer = setTimeout(() => {
    budgetTimer = null;
    renderBudget().catch((err) => showError('error', err.message));
  }, delay);
}
setInterval(() => {
  if (token) refreshBudget(0);
}, 5000);

async function renderOne(node, name) {
  const query = node ? `?node=${encodeURIComponent(node)}` : '';
  const markup = await fetchCards(`/ui/services/${encodeURIComponent(name)}${query}`);
  if (markup === null) return;
  const card = fragment(markup).firstElementChild;
  const old = cardFor(card.dataset.node, card.dataset.service);
  if (old) {
    if (old.classList.contains('focus')) card.classList.add('focus');
    old.replaceWith(card);
  } else if (isFleet()) {
    // The hub shows one page of the fleet: a service on another page is not added to this one.
    noteUnseen(`${card.dataset.node}/${card.dataset.service}`);
  } else {
    // A service not on the page yet (an agent's page lists them all).
    $('cards')?.append(card);
  }
  tick();
}

// Services of the fleet that changed but are not on this page: counted, not fetched.
const unseen = new Set();
function noteUnseen(key) {
  if (unseen.has(key)) return;
  unseen.add(key);
  const note = $('unseen');
  note.hidden = false;
  note.textContent = `${unseen.size} service(s) not on this page changed since it was rendered (reload to see).`;
}

// Several events for one service in a burst re-render its card once. At the hub, a service not
// on this page is counted once (no request: a storm elsewhere in the fleet costs this page nothing).
function refresh(node, name) {
  const key = `${node}/${name}`;
  if (pending.has(key)) return;
  if (isFleet() && !cardFor(node, name)) return noteUnseen(key);
  pending.set(
    key,
    setTimeout(() => {
      pending.delete(key);
      renderOne(node, name).catch((err) => showError('error', err.message));
    }, 50),
  );
}

// A node going dark or coming back re-renders the whole page once (its section's state).
let whole = null;
function refreshAll() {
  if (whole) return;
  whole = setTimeout(() => {
    whole = null;
    renderAll().catch((err) => showError('error', err.message));
  }, 50);
}

function subscribe() {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
  client = window.graphqlWs.createClient({
    url,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    on: {
      connected: () => {
        $('live').hidden = false;
        showError('error', '');
      },
      closed: (event) => {
        $('live').hidden = true;
        if (event?.code === 4403) signOut('The token was refused for live updates. Sign in again.');
      },
    },
  });
  const stopped = (err) => showError('error', `live updates stopped: ${err?.message ?? err?.reason ?? err}`);
  // At the hub, a page of one node follows that node's events only.
  const node = isFleet() ? $('cards').dataset.filterNode || null : null;
  client.subscribe(
    {
      query: 'subscription($node: String) { recoveryEvents(node: $node) { node service kind } }',
      variables: { node },
    },
    {
      next: ({ data }) => {
        const event = data?.recoveryEvents;
        if (event?.service) refresh(event.node, event.service);
        if (event) refreshBudget();
      },
      error: stopped,
      complete: () => {},
    },
  );
  if (!isFleet()) return;
  client.subscribe(
    { query: 'subscription { hubEvents(kinds: ["node_down", "node_up"]) { kind node } }' },
    { next: refreshAll, error: stopped, complete: () => {} },
  );
}

function countdown(iso) {
  const ms = Date.parse(iso) - Date.now();
  const total = Math.round(Math.abs(ms) / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n) => String(n).padStart(2, '0');
  const text = h > 0 ? `${h}h ${pad(m)}m` : m > 0 ? `${m}m ${pad(s)}s` : `${s}s`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

// A past instant (data-since) as src/core/relative.ts `ago` says it: never "in 0s" when another
// host's clock is a little ahead.
function since(iso) {
  return Date.now() - Date.parse(iso) < 1000 ? 'just now' : countdown(iso);
}

function tick() {
  for (const el of document.querySelectorAll('time[data-until]'))
    el.textContent = countdown(el.dataset.until);
  for (const el of document.querySelectorAll('time[data-since]')) el.textContent = since(el.dataset.since);
}

async function mutate(action, node, name, reason, ttl) {
  const spec = MUTATIONS[action];
  const res = await fetch('/graphql', {
    method: 'POST',
    headers: {
      ...authHeaders(),
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
    },
    body: JSON.stringify({ query: spec.query, variables: { node, name, reason, ttl } }),
  });
  const body = await res.json().catch(() => ({ errors: [{ message: `HTTP ${res.status}` }] }));
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
  const result = body.data.r;
  // At the hub: the node's agent has not answered within the hub's wait; it runs when it does.
  if (result.__typename === 'PendingCommand') return `pending: ${result.message}`;
  if (result.__typename !== 'Service' && result.__typename !== 'DriftReport') {
    throw new Error(`${result.code}: ${result.message}`);
  }
  return null;
}

function ask(action, node, name) {
  const spec = MUTATIONS[action];
  const dialog = $('confirm');
  const fleet = isFleet();
  $('confirm-title').textContent = `${spec.title} ${fleet ? `${node}/${name}` : name}?`;
  $('confirm-what').textContent = spec.what;
  $('ttl-row').hidden = action !== 'hold';
  $('reason').value = '';
  showError('confirm-error', '');
  dialog.dataset.action = action;
  dialog.dataset.node = node ?? '';
  dialog.dataset.service = name;
  dialog.showModal();
  $('reason').focus();
}

async function confirmed(event) {
  const dialog = $('confirm');
  if (event.submitter?.value !== 'ok') return;
  event.preventDefault();
  const reason = $('reason').value.trim();
  if (!reason) {
    showError('confirm-error', 'A reason is required (it is recorded in the audit log).');
    return;
  }
  const { action, node, service } = dialog.dataset;
  try {
    const note = await mutate(action, node || null, service, reason, Number($('ttl').value));
    dialog.close();
    showError('error', note ?? '');
    await renderOne(node || null, service);
  } catch (err) {
    showError('confirm-error', err.message);
  }
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  token = null;
  client?.dispose();
  client = null;
  $('services').replaceChildren();
  $('budget').replaceChildren();
  $('who').textContent = '';
  $('sign-out').hidden = true;
  $('live').hidden = true;
  $('sign-in').hidden = false;
  showError('sign-in-error', message ?? '');
}

async function start() {
  $('sign-in').hidden = true;
  $('sign-out').hidden = false;
  try {
    await renderAll();
    if (token) subscribe();
  } catch (err) {
    showError('error', err.message);
  }
}

$('sign-in').addEventListener('submit', (event) => {
  event.preventDefault();
  token = $('token').value.trim();
  $('token').value = '';
  if (!token) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  showError('sign-in-error', '');
  start();
});
$('sign-out').addEventListener('click', () => signOut());
$('services').addEventListener('click', (event) => {
  const button = event.target.closest('button[data-action]');
  if (button) ask(button.dataset.action, button.dataset.node, button.dataset.service);
});
$('confirm-form').addEventListener('submit', (event) => {
  confirmed(event);
});
setInterval(tick, 1000);

if (token) start();
else signOut();
