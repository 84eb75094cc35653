/**
 * The layering of medic (docs/ARCHITECTURE.md), checked by `npm run deps` (part of `npm test`):
 *
 *   core ← contract ← systemd ← drift
 *   core ← contract ← engine ← {store, executors, watchdog} ← {rollout, runbook} ← api ← {bot, cli} ← serve
 *   {contract, systemd, drift, store, api} ← adopt ← cli
 *   core ← fleet (the agent ↔ hub wire protocol) ← agent (the shipper, used by serve) ; hub
 *
 * src/hub is the second composition root (`medic hub`, PostgreSQL): it may use every part, and
 * only it reads the PostgreSQL schema (db/pg); only the CLI's hub command imports it.
 * (executors and watchdog also use the systemd transport; the watchdog also uses drift.) The
 * support modules src/clock, src/config, src/log.ts and src/paths.ts may be used by every layer
 * but core. Each part lists what it MAY import; anything else of medic is a violation. No
 * module cycles anywhere (type-only imports included).
 */
const SUPPORT = ['clock/', 'config/', 'log\\.ts$', 'paths\\.ts$'];
/**
 * The one scope/bus selection (which manager, which address, which systemctl/journalctl flags):
 * a leaf module that imports nothing of medic, so the contract renderer and the runbook print
 * the same flags the systemd transport uses.
 */
const SCOPE = 'systemd/scope\\.ts$';

/** Part → the src/ folders (or files) it may import besides itself. */
const MAY_IMPORT = {
  core: [],
  'clock/|config/|log\\.ts$|paths\\.ts$': ['core/', ...SUPPORT],
  contract: ['core/', SCOPE, ...SUPPORT],
  fleet: ['core/', ...SUPPORT],
  agent: ['core/', 'fleet/', ...SUPPORT],
  systemd: ['core/', 'contract/', ...SUPPORT],
  drift: ['core/', 'contract/', 'systemd/', ...SUPPORT],
  engine: ['core/', 'contract/', ...SUPPORT],
  store: ['core/', 'contract/', 'engine/', ...SUPPORT],
  executors: ['core/', 'contract/', 'engine/', 'systemd/', 'watchdog/', ...SUPPORT],
  watchdog: ['core/', 'contract/', 'engine/', 'systemd/', 'drift/', 'executors/', ...SUPPORT],
  rollout: ['core/', 'contract/', 'engine/', 'store/', ...SUPPORT],
  runbook: ['core/', 'contract/', 'store/', 'rollout/', SCOPE, ...SUPPORT],
  api: ['core/', 'contract/', 'drift/', 'engine/', 'store/', 'rollout/', 'runbook/', ...SUPPORT],
  // Escalation (PagerDuty, webhooks): plans from engine events into the store's outbox, delivers it.
  escalation: ['core/', 'contract/', 'engine/', 'store/', ...SUPPORT],
  // Adoption (contract init, install): reads units and files, writes the store's first token.
  adopt: ['core/', 'contract/', 'systemd/', 'drift/', 'store/', 'api/', ...SUPPORT],
  cli: [
    'core/',
    'contract/',
    'drift/',
    'engine/',
    'store/',
    'rollout/',
    'runbook/',
    'api/',
    'systemd/',
    'adopt/',
    ...SUPPORT,
  ],
};

const folder = (part) => (part.includes('|') ? `(${part})` : `${part}/`);
const layerRules = Object.entries(MAY_IMPORT).map(([part, allowed]) => ({
  name: `layer-${part.split(/[/|\\]/)[0]}`,
  comment: `src/${part} may import only: ${allowed.join(', ') || 'itself'}`,
  severity: 'error',
  // The CLI's serve/demo/hub commands launch a composition root (rules serve-is-the-root, hub-is-a-root);
  // hub-token manages the hub's tokens in its database.
  from: { path: `^src/${folder(part)}`, pathNot: '^src/cli/commands/(serve|demo|hub|hub-token)\\.ts$' },
  to: {
    path: `^(src/(?!${[part.includes('|') ? part : `${part}/`, ...allowed].join('|')})|bot/|schema/${part === 'store' ? '' : '|db/'})`,
  },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'No import cycles between modules (type-only imports included).',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'store-schema-only-from-store',
      comment: 'db/ (drizzle schema) belongs to the store.',
      severity: 'error',
      from: { path: '^(?!src/store/|db/)' },
      to: { path: '^db/(?!pg/)' },
    },
    {
      name: 'pg-schema-only-from-hub',
      comment: 'db/pg/ (the PostgreSQL schema) belongs to the hub.',
      severity: 'error',
      from: { path: '^(?!src/hub/|db/pg/)' },
      to: { path: '^db/pg/' },
    },
    {
      name: 'hub-is-a-root',
      comment: 'Only the hub composition root and the CLI command that launches it import src/hub.',
      severity: 'error',
      from: { path: '^(src/(?!hub/|cli/commands/hub(-token)?\\.ts$)|bot/)' },
      to: { path: '^src/hub/' },
    },
    {
      name: 'executors-see-watchdog-types-only',
      comment: 'Executors may name the detection port (types), never run watchdog code.',
      severity: 'error',
      from: { path: '^src/executors/' },
      to: { path: '^src/watchdog/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'api-schema-before-http',
      comment: 'One-way inside the API room: http uses the schema, never the reverse.',
      severity: 'error',
      from: { path: '^src/api/schema/' },
      to: { path: '^src/api/http/' },
    },
    {
      name: 'bot-is-a-graphql-client',
      comment:
        'The bot reaches medic only over GraphQL: it may import core vocabulary, config, log and clock ' +
        '(never store, engine, watchdog, executors or the API).',
      severity: 'error',
      from: { path: '^bot/' },
      to: {
        path: '^(src/(?!core/|clock/|config/|log\\.ts$)|db/|schema/)',
      },
    },
    {
      name: 'serve-is-the-root',
      comment: 'Only the composition root and the CLI commands that launch it import src/serve.',
      severity: 'error',
      from: { path: '^(src/(?!serve/|cli/commands/(serve|demo)\\.ts$)|bot/)' },
      // The hub root shares the listener only.
      to: { path: '^src/serve/', pathNot: '^src/serve/http\\.ts$' },
    },
    {
      name: 'serve-may-use-all',
      comment: 'src/serve is the composition root: it may import every part (listed for completeness).',
      severity: 'error',
      from: { path: '^src/serve/' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
