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
      'mutation($name:String!,$reason:String!,$ttl:Int!){ r: holdService(name:$name, reason:$reason, ttlSec:$ttl) { __typename ... on MutationError { code message } } }',
  },
  release: {
    title: 'Release',
    what: 'Automatic restarts resume.',
    query:
      'mutation($name:String!,$reason:String!){ r: releaseService(name:$name, reason:$reason) { __typename ... on MutationError { code message } } }',
  },
  approve: {
    title: 'Approve a probe restart of',
    what: 'Exactly one restart is allowed while the circuit is open.',
    query:
      'mutation($name:String!,$reason:String!){ r: approveRestart(name:$name, reason:$reason) { __typename ... on MutationError { code message } } }',
  },
  reset: {
    title: 'Reset the circuit of',
    what: 'The circuit closes and counters start over.',
    query:
      'mutation($name:String!,$reason:String!){ r: resetCircuit(name:$name, reason:$reason) { __typename ... on MutationError { code message } } }',
  },
  force: {
    title: 'Force a restart of',
    what: 'Restarts now regardless of guards; audited and counted as churn.',
    query:
      'mutation($name:String!,$reason:String!){ r: forceRestart(name:$name, reason:$reason) { __typename ... on MutationError { code message } } }',
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

function focusRequested() {
  const wanted = new URLSearchParams(location.search).get('service');
  if (!wanted) return;
  const card = document.querySelector(`article.card[data-service="${CSS.escape(wanted)}"]`);
  if (card) {
    card.classList.add('focus');
    card.scrollIntoView({ block: 'center' });
  } else showError('error', `no service named ${wanted}`);
}

async function renderAll() {
  const markup = await fetchCards('/ui/services');
  if (markup === null) return;
  const main = $('services');
  main.replaceChildren(fragment(markup));
  const cards = $('cards');
  $('who').textContent = `${cards.dataset.principal} (${cards.dataset.role})`;
  tick();
  focusRequested();
  document.body.dataset.rendered = String(performance.now());
}

async function renderOne(name) {
  const markup = await fetchCards(`/ui/services/${encodeURIComponent(name)}`);
  if (markup === null) return;
  const card = fragment(markup).firstElementChild;
  const old = document.querySelector(`article.card[data-service="${CSS.escape(name)}"]`);
  if (old) {
    if (old.classList.contains('focus')) card.classList.add('focus');
    old.replaceWith(card);
  } else $('cards')?.append(card);
  tick();
}

// Several events for one service in a burst re-render its card once.
function refresh(name) {
  if (pending.has(name)) return;
  pending.set(
    name,
    setTimeout(() => {
      pending.delete(name);
      renderOne(name).catch((err) => showError('error', err.message));
    }, 50),
  );
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
  client.subscribe(
    { query: 'subscription { recoveryEvents { service kind } }' },
    {
      next: ({ data }) => {
        const service = data?.recoveryEvents?.service;
        if (service) refresh(service);
      },
      error: (err) => showError('error', `live updates stopped: ${err?.message ?? err?.reason ?? err}`),
      complete: () => {},
    },
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

function tick() {
  for (const el of document.querySelectorAll('time[data-until]'))
    el.textContent = countdown(el.dataset.until);
}

async function mutate(action, name, reason, ttl) {
  const spec = MUTATIONS[action];
  const res = await fetch('/graphql', {
    method: 'POST',
    headers: {
      ...authHeaders(),
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
    },
    body: JSON.stringify({ query: spec.query, variables: { name, reason, ttl } }),
  });
  const body = await res.json().catch(() => ({ errors: [{ message: `HTTP ${res.status}` }] }));
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
  const result = body.data.r;
  if (result.__typename !== 'Service' && result.__typename !== 'DriftReport') {
    throw new Error(`${result.code}: ${result.message}`);
  }
}

function ask(action, name) {
  const spec = MUTATIONS[action];
  const dialog = $('confirm');
  $('confirm-title').textContent = `${spec.title} ${name}?`;
  $('confirm-what').textContent = spec.what;
  $('ttl-row').hidden = action !== 'hold';
  $('reason').value = '';
  showError('confirm-error', '');
  dialog.dataset.action = action;
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
  const { action, service } = dialog.dataset;
  try {
    await mutate(action, service, reason, Number($('ttl').value));
    dialog.close();
    await renderOne(service);
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
  if (button) ask(button.dataset.action, button.dataset.service);
});
$('confirm-form').addEventListener('submit', (event) => {
  confirmed(event);
});
setInterval(tick, 1000);

if (token) start();
else signOut();
