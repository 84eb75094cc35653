/**
 * The layering of medic (docs/ARCHITECTURE.md), checked by `npm run deps` (part of `npm test`):
 *
 *   core ← contract ← systemd ← drift;  contract ← engine ← {store, executors, watchdog} ← {rollout, runbook}
 *        ← api (schema ← http) ← {bot (GraphQL only), cli} ← serve (composition root)
 *
 * plus the support modules every layer but core may use: src/clock, src/config, src/log.ts,
 * src/paths.ts. Each rule below names what a part may NOT import; no module cycles anywhere.
 */
const SUPPORT = '^src/(clock/|config/|log\\.ts$|paths\\.ts$)';
const above = (...parts) => `^(${parts.join('|')})`;

/** forbid `from` importing anything matching `to` (project modules only). */
const forbid = (name, comment, from, to, extra = {}) => ({
  name,
  comment,
  severity: 'error',
  from: { path: from },
  to: { path: to, ...extra },
});

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'No import cycles between modules (type-only imports included).',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    forbid(
      'core-is-closed',
      'src/core imports nothing outside src/core (npm packages such as zod/yaml are fine).',
      '^src/core/',
      '^(src/(?!core/)|bot/|db/|schema/|test/|bench/)',
    ),
    forbid(
      'support-below-everything',
      'clock, config, log and paths are leaves: they may import core, nothing else of medic.',
      SUPPORT,
      '^(src/(?!core/|clock/|config/|log\\.ts$|paths\\.ts$)|bot/|db/|schema/)',
    ),
    forbid(
      'contract-on-core',
      'The contract depends only on core.',
      '^src/contract/',
      above('src/(?!core/|contract/|clock/|config/|log\\.ts$|paths\\.ts$)', 'bot/', 'db/'),
    ),
    forbid(
      'engine-below-its-adapters',
      'The engine declares ports; store, executors, watchdog implement them.',
      '^src/engine/',
      above('src/(?!core/|contract/|engine/|clock/|config/|log\\.ts$|paths\\.ts$)', 'bot/', 'db/'),
    ),
    forbid(
      'store-below-api',
      'The store knows the engine port, not its callers.',
      '^(src/store/|db/)',
      above('src/(?!core/|contract/|engine/|store/|clock/|config/|log\\.ts$|paths\\.ts$)', 'bot/'),
    ),
    forbid(
      'systemd-transport',
      'The systemd transport (D-Bus, systemctl) knows no engine or detection.',
      '^src/systemd/',
      above('src/(?!core/|contract/|systemd/|clock/|config/|log\\.ts$|paths\\.ts$)', 'bot/', 'db/'),
    ),
    forbid(
      'executors-below-watchdog',
      'Executors carry out effects; they know the detection port only as types.',
      '^src/executors/',
      above(
        'src/(?!core/|contract/|engine/|systemd/|executors/|watchdog/|clock/|config/|log\\.ts$|paths\\.ts$)',
        'bot/',
        'db/',
      ),
    ),
    forbid(
      'executors-see-watchdog-types-only',
      'Executors may name the detection port (types), never run watchdog code.',
      '^src/executors/',
      '^src/watchdog/',
      { dependencyTypesNot: ['type-only'] },
    ),
    forbid(
      'watchdog-below-api',
      'Detection feeds the engine; it knows no store, API or composition root.',
      '^src/watchdog/',
      above(
        'src/(?!core/|contract/|engine/|systemd/|executors/|watchdog/|clock/|config/|log\\.ts$|paths\\.ts$)',
        'bot/',
        'db/',
      ),
    ),
    forbid(
      'rollout-below-api',
      'Policy rollout is application logic: no API, CLI, bot or serve.',
      '^src/(rollout|runbook)/',
      above('src/(api|cli|serve|watchdog|executors|systemd)/', 'bot/'),
    ),
    forbid(
      'api-below-edges',
      'The API knows no bot, CLI or composition root.',
      '^src/api/',
      above('src/(cli|serve)/', 'bot/'),
    ),
    forbid(
      'api-schema-before-http',
      'One-way inside the API room: http uses the schema, never the reverse.',
      '^src/api/schema/',
      '^src/api/http/',
    ),
    // TEMPORARY (issue 10, first landing): the bot still names the store's records while its
    // pending actions and incidents move behind GraphQL; the follow-up landing removes this.
    forbid(
      'bot-is-a-graphql-client',
      'The bot reaches medic only over GraphQL: core vocabulary, config, log and clock only.',
      '^bot/',
      above('src/(?!core/|clock/|config/|log\\.ts$|store/types\\.ts$|store/records\\.ts$)', 'db/', 'schema/'),
    ),
    forbid(
      'cli-not-bot',
      'The CLI talks to the store/rollout through its own commands, never the bot.',
      '^src/cli/',
      '^bot/',
    ),
    forbid(
      'only-launchers-import-serve',
      'Only the CLI commands that start the composition root import it.',
      '^src/(?!serve/|cli/commands/(serve|demo)\\.ts$)',
      '^src/serve/',
    ),
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
    reporterOptions: { text: { highlightFocused: true } },
  },
};
