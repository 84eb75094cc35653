/**
 * Longer than ~200 lines on purpose: the composition root reads top to bottom as the start
 * order and its mirror-image shutdown.
 *
 * The composition root of `medic serve`: contract → store (checked: quick_check) → single-instance
 * claim (in the database file) → store watch (file identity, heartbeat, health) → active policy
 * version → watchdog executor → engine (effects held) → HTTP (API, runbook, Slack bot) →
 * watchdog start (reconcile, detection, probes) → effects released → drift checks and the
 * policy-version watcher. Effects are held until detection is armed and open intents are
 * reconciled: a restart decided early (a tick due at start, an API call) waits, so the crash
 * that may follow it is always seen.
 * `close()` undoes it in the order that loses nothing: probes and detection stop first, the
 * engine then finishes in-flight effects and records their outcomes, and only then are the
 * process backend's children stopped, the HTTP server closed, the store closed and the lock
 * released.
 *
 * Failures before anything runs throw: ContractError (invalid contract), StoreError (LockHeldError:
 * another medic serves this database file; UNUSABLE / DAMAGED store), ListenError (address in
 * use or not of this machine). The CLI turns each into one message and exit code 2.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { YogaLike } from '../../bot/graphql/transport.js';
import { RemoteDependencies } from '../agent/remote-deps.js';
import { Shipper } from '../agent/shipper.js';
import { createApp } from '../api/http/app.js';
import { Metrics } from '../api/http/metrics.js';
import { windowViews } from '../api/schema/maintenance-views.js';
import type { RawRoute } from '../api/schema/ports.js';
import { VERSION } from '../cli/version.js';
import { systemClock } from '../clock/clock.js';
import { type Env, readSecret, slackConfigured } from '../config/env.js';
import { fleetDependencyProblems } from '../contract/dependencies.js';
import { ContractError, loadContract } from '../contract/load.js';
import type { Contract } from '../contract/types.js';
import { combineReadiness, type Readiness } from '../core/readiness.js';
import { createEngine } from '../engine/engine.js';
import { Timeline } from '../engine/timeline.js';
import type { Clock, Engine } from '../engine/types.js';
import { createEscalation, type Escalation, resolveEscalation } from '../escalation/escalation.js';
import { MAX_SHIPPED_WINDOWS } from '../fleet/maintenance.js';
import type { Logger } from '../log.js';
import { policySetOfContract } from '../rollout/policy-set.js';
import { activePolicySet, resolveActivePolicies } from '../rollout/versions.js';
import { watchPolicyVersions } from '../rollout/watch.js';
import { runbookServices } from '../runbook/model.js';
import { createRunbookRoute } from '../runbook/route.js';
import { acquireLock } from '../store/lock.js';
import { maintenanceWindows } from '../store/maintenance.js';
import { openStore } from '../store/sqlite.js';
import type { Store } from '../store/types.js';
import { DriftWatcher } from '../watchdog/drift.js';
import { createWatchdog, type Watchdog } from '../watchdog/watchdog.js';
import { createAgentBudget } from './budget.js';
import { contractSnapshots } from './contract-snapshot.js';
import { basicHandler, listen, type NodeHandler } from './http.js';
import { runHubCommand } from './hub-commands.js';
import { registerStoreMetrics } from './store-metrics.js';
import { watchStore } from './store-watch.js';

export interface ServeOptions {
  env: Env;
  contractPath: string;
  logger: Logger;
  clock?: Clock;
  /** Process backend: each line a child prints. */
  output?: (service: string, line: string) => void;
  /** State-probe interval for services without HTTP health (default MEDIC_STATE_PROBE_INTERVAL_MS). */
  stateIntervalMs?: number;
  /**
   * Builds the HTTP handler once the URL is known. Default: the API (src/server/app.ts
   * `createApp`: /graphql, /healthz, /readyz, /status, /metrics) with `routes` mounted.
   */
  handler?: (parts: ServeParts) => NodeHandler | Promise<NodeHandler>;
  /** Extra raw routes for the API, built once the parts exist (the runbook and the bot are built in). */
  routes?: (parts: ServeParts) => RawRoute[] | Promise<RawRoute[]>;
  /** Activate the contract's policies when they differ from the active version (audited). */
  applyOnStart?: boolean;
  /** How often the running serve looks for `policy apply` / `rollback` (default 2000 ms). */
  policyPollMs?: number;
}

/** What the running server is made of (for the HTTP handler, the demo and tests). */
export interface ServeParts {
  env: Env;
  contract: Contract;
  store: Store;
  engine: Engine;
  watchdog: Watchdog;
  drift: DriftWatcher;
  metrics: Metrics;
  readiness(): Readiness;
  logger: Logger;
  /** The bound base URL (MEDIC_PUBLIC_URL when set). */
  publicUrl: string;
}

export interface RunningServe extends ServeParts {
  url: string;
  /** The Slack bot when configured: `idle()` resolves once its queued Slack work is done. */
  slack: { idle(): Promise<void> } | null;
  /** Graceful shutdown; idempotent. */
  close(): Promise<void>;
}

/** The environment a process-backend child starts from (systemd-like: small and explicit). */
export function childBaseEnv(contract: Contract, env: Env): Record<string, string> {
  return {
    PATH: `${contract.conda.prefix}/bin:${env.PATH}`,
    CONDA_PREFIX: contract.conda.prefix,
    MEDIC_PYTHON: contract.conda.pythonPath,
  };
}

/** How often the clocks are compared while nothing else reads them (a step is noticed within this). */
const CLOCK_CHECK_MS = 5000;

export async function startServe(opts: ServeOptions): Promise<RunningServe> {
  const { env, logger } = opts;
  const log = logger.child({ component: 'serve' });
  const clock = opts.clock ?? systemClock;
  const contract = await loadContract(opts.contractPath);
  // A `node/name` dependency needs a hub to learn the other node's state (docs/FLEET.md).
  const hub = Boolean(env.MEDIC_HUB_URL && env.MEDIC_HUB_TOKEN);
  const fleetProblems = fleetDependencyProblems(contract, { hub, node: env.MEDIC_NODE_NAME });
  if (fleetProblems.length > 0) throw new ContractError(contract.file, fleetProblems);
  // Checked (quick_check) and migrated before the claim, which writes to it.
  const store = openStore(env.MEDIC_DB, { clock });
  // Before this process writes anything: the hub compares it with what it holds of this store
  // (a store restored from an older copy holds fewer events; src/hub/ingest.ts).
  const newestAtOpen = store.listEvents({ first: 1, order: 'desc' }).events[0]?.id ?? 0;
  const cleanups: (() => Promise<void> | void)[] = [() => store.close()];
  const undo = async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        log.error({ err }, 'shutdown step failed');
      }
    }
  };
  try {
    const lock = acquireLock(env.MEDIC_DB, { now: () => clock.now() });
    cleanups.push(() => lock.release());
    const storeWatch = watchStore({ store, lock, logger, clock });
    cleanups.push(() => storeWatch.stop());
    let probeSink: ((service: string, seconds: number, ok: boolean) => void) | undefined;
    let missedSink: ((service: string) => void) | undefined;
    const watchdog = createWatchdog({
      onProbe: (service, seconds, ok) => probeSink?.(service, seconds, ok),
      onMissedSignal: (service) => missedSink?.(service),
      verifyIntervalMs: env.MEDIC_VERIFY_INTERVAL_MS,
      contract,
      logger,
      runtimeDir: env.XDG_RUNTIME_DIR,
      busAddress: env.MEDIC_DBUS_ADDRESS,
      pollIntervalMs: env.MEDIC_POLL_INTERVAL_MS,
      stateIntervalMs: opts.stateIntervalMs ?? env.MEDIC_STATE_PROBE_INTERVAL_MS,
      baseEnv: childBaseEnv(contract, env),
      output: opts.output,
      clock,
    });
    const metrics = new Metrics();
    registerStoreMetrics(metrics.registry, store.health);
    probeSink = (service, seconds, ok) => metrics.observeProbe(service, seconds, ok);
    // Delays and windows run on the monotonic clock; wall-clock steps are logged once and counted.
    const timeline = new Timeline(clock, logger.child({ component: 'clock' }));
    timeline.onStep(() => metrics.countClockStep());
    const unwatchClock = timeline.watch(CLOCK_CHECK_MS);
    cleanups.push(() => unwatchClock());
    missedSink = (service) => metrics.missedSignal(service);
    // Policies run from the active stored version; a changed contract never switches silently.
    const policies = resolveActivePolicies(store, contract, {
      applyOnStart: opts.applyOnStart,
      author: 'medic serve',
      now: clock.now(),
    });
    if (policies.warning) log.warn({ version: policies.version.version }, policies.warning);
    // The fleet restart budget's hub client (issue 16); without a hub, onHubUnreachable applies.
    const budget =
      env.MEDIC_HUB_URL && env.MEDIC_HUB_TOKEN
        ? createAgentBudget({
            hubUrl: env.MEDIC_HUB_URL,
            token: env.MEDIC_HUB_TOKEN,
            node: env.MEDIC_NODE_NAME,
            clock,
            logger,
            hooks: {
              answered: (group, reply) => metrics.budgetAnswered(group, reply.type),
              waited: (group, seconds) => metrics.budgetWaited(group, seconds),
            },
          })
        : undefined;
    if (budget) metrics.budgetHeard(() => budget.heard());
    // Dependencies on other nodes (fleet mode): their states come with the ship replies.
    const remoteIds = [
      ...new Set(contract.services.flatMap((s) => (s.dependsOn ?? []).filter((d) => d.includes('/')))),
    ];
    const remote = hub && remoteIds.length > 0 ? new RemoteDependencies(remoteIds, clock) : undefined;
    if (remote) cleanups.push(() => remote.close());
    const rawEngine = await createEngine({
      store,
      services: contract.services.map((s) => ({
        name: s.name,
        unit: s.unit,
        policy: policies.policies.get(s.name) ?? s.policy,
        ...(s.dependsOn ? { dependsOn: s.dependsOn } : {}),
        ...(s.restartWith ? { restartWith: s.restartWith } : {}),
      })),
      executor: watchdog.executor,
      clock,
      logger,
      timeline,
      holdEffects: true,
      node: env.MEDIC_NODE_NAME,
      // Contract windows and the ad hoc ones stored (GraphQL / CLI / Slack) not yet over.
      maintenance: maintenanceWindows(contract.maintenance ?? [], store.listMaintenance(clock.now())),
      ...(budget ? { budget } : {}),
      ...(remote ? { remote } : {}),
    });
    // Every submit (watchdog, API, bot) is timed into the decision-latency histogram.
    const engine = metrics.instrument(rawEngine);
    // Stop order (cleanups run in reverse): watchdog.stop → engine.close → watchdog.dispose.
    cleanups.push(() => watchdog.dispose());
    cleanups.push(() => engine.close());
    cleanups.push(() => watchdog.stop());
    const drift = new DriftWatcher({
      contract,
      engine,
      store,
      clock,
      intervalSec: env.MEDIC_DRIFT_INTERVAL_SEC,
      env: { PATH: env.PATH, XDG_RUNTIME_DIR: env.XDG_RUNTIME_DIR },
      readUnits: watchdog.readUnits,
      logger: log,
      // bin/medic.mjs starts node with --expose-gc; without it (tests, tsx) this does nothing.
      afterCheck: () => (globalThis as { gc?: () => void }).gc?.(),
    });
    const policyWatcher = watchPolicyVersions(store, engine, {
      intervalMs: opts.policyPollMs ?? 2000,
      clock,
      logger: log,
      // Another version was applied or rolled back: the start-up warning no longer holds.
      onChange: (version) => {
        if (version !== policies.version.version) policies.warning = null;
      },
    });
    // Stopped before the engine closes (cleanups run in reverse).
    cleanups.push(() => policyWatcher.stop());
    const readiness = (): Readiness => {
      const r = {
        ...combineReadiness(storeWatch.readiness(), watchdog.readiness(), drift.readiness()),
        clock: timeline.details(),
      };
      return policies.warning ? { ...r, reasons: [...r.reasons, policies.warning] } : r;
    };
    // Listen first (a free port may be picked), then build the API with the real URL.
    let current: NodeHandler = basicHandler(readiness);
    let upgrade: ((req: IncomingMessage, socket: Duplex, head: Buffer) => void) | null = null;
    const http = await listen((req, res) => current(req, res), env.MEDIC_HOST, env.MEDIC_PORT);
    // WebSocket upgrades (GraphQL over graphql-ws) go to the API once it exists.
    http.server.on('upgrade', (req, socket, head) => {
      if (upgrade) upgrade(req, socket, head);
      else socket.destroy();
    });
    // Closed before the watchdog stops: no request can reach a closing engine.
    cleanups.push(() => http.close());
    const publicUrl = env.MEDIC_PUBLIC_URL ?? http.url;
    // Escalation's named secrets are checked before anything acts (an unset one: exit 2).
    const escalationConfig = contract.escalation
      ? resolveEscalation(contract.escalation, {
          node: env.MEDIC_NODE_NAME,
          publicUrl,
          pagerDutyUrl: env.MEDIC_PAGERDUTY_URL,
          secret: (name) => readSecret(name),
          retry: {
            baseMs: env.MEDIC_ESCALATION_RETRY_BASE_MS,
            maxAttempts: env.MEDIC_ESCALATION_MAX_ATTEMPTS,
            timeoutMs: env.MEDIC_ESCALATION_TIMEOUT_MS,
          },
        })
      : null;
    const parts: ServeParts = {
      env,
      contract,
      store,
      engine,
      watchdog,
      drift,
      metrics,
      readiness,
      logger,
      publicUrl,
    };
    let apiYoga: (() => YogaLike) | null = null;
    let slack: RunningServe['slack'] = null;
    if (opts.handler) {
      current = await opts.handler(parts);
    } else {
      let app: ReturnType<typeof createApp> | null = null;
      apiYoga = () => app!.yoga;
      const bot = await startSlackBot(parts, () => app!.yoga, clock);
      slack = bot;
      app = createApp({
        engine,
        store,
        logger,
        clock,
        publicUrl,
        node: env.MEDIC_NODE_NAME,
        ...(budget ? { budget } : {}),
        contract: drift,
        metrics,
        alertRules: () => contract.services,
        routes: [
          createRunbookRoute({ contract: () => contract, store, publicUrl, logger: log }),
          ...(bot?.routes ?? []),
          ...(opts.routes ? await opts.routes(parts) : []),
        ],
        readiness,
      });
      cleanups.push(() => app?.close());
      current = app.handler;
      upgrade = app.upgrade;
      if (bot) {
        await bot.start();
        cleanups.push(() => bot.stop());
      }
    }
    log.info({ url: http.url, db: env.MEDIC_DB, contract: contract.file }, `medic serving on ${http.url}`);
    // The first read commits one observation per service while effects are held: one fsync for
    // all of them at the barrier, before any effect can run (src/store/durability.ts).
    const durable = store.deferSync();
    try {
      await watchdog.start(engine, store);
    } finally {
      durable();
    }
    // Detection is armed and open intents are reconciled: decided effects may run now.
    engine.releaseEffects();
    let escalation: Escalation | null = null;
    if (escalationConfig) {
      escalation = createEscalation({
        config: escalationConfig,
        engine,
        store,
        clock,
        logger,
        onOutcome: (target, outcome) => metrics.escalation(target, outcome),
      });
      escalation.start();
      // Stopped before the engine closes (cleanups run in reverse): the outbox keeps what is pending.
      cleanups.push(() => escalation?.stop());
    }
    drift.start();
    cleanups.push(() => drift.stop());
    const shipper = startShipper(parts, clock, apiYoga, newestAtOpen, remote);
    // Stopped before the store closes (cleanups run in reverse); the next start resumes from the hub's cursor.
    if (shipper) cleanups.push(() => shipper.stop());
    // Ready means the first drift check ended too (/readyz says so): startServe resolves then.
    // The start-up burst (every unit read, the first drift check) leaves V8's old space grown
    // with garbage; the full collection after each check (afterCheck above) gives it back.
    await drift.firstCheck;
    let closing: Promise<void> | null = null;
    return {
      ...parts,
      url: http.url,
      slack,
      close() {
        closing ??= (async () => {
          log.info('shutting down: probes and detection stop, in-flight restarts finish');
          await undo();
          log.info('medic stopped');
        })();
        return closing;
      },
    };
  } catch (err) {
    await undo();
    throw err;
  }
}

/** Ships the audit log to the hub when MEDIC_HUB_URL and MEDIC_HUB_TOKEN are set (docs/FLEET.md). */
function startShipper(
  parts: ServeParts,
  clock: Clock,
  yoga: (() => YogaLike) | null,
  newestAtOpen: number,
  remote?: RemoteDependencies,
): Shipper | null {
  const { env, store, engine } = parts;
  if (!env.MEDIC_HUB_URL || !env.MEDIC_HUB_TOKEN) return null;
  const log = parts.logger.child({ component: 'shipper', node: env.MEDIC_NODE_NAME });
  const shipper = new Shipper({
    hubUrl: env.MEDIC_HUB_URL,
    token: env.MEDIC_HUB_TOKEN,
    // Read once at start (the config checked it is a readable PEM file).
    ca: env.MEDIC_HUB_CA ? readFileSync(env.MEDIC_HUB_CA) : undefined,
    node: env.MEDIC_NODE_NAME,
    version: VERSION,
    readEvents: (after, first) => store.shippedEventsAfter(after, first),
    storeId: () => store.storeId(),
    lastEventId: () => newestAtOpen,
    // Durable: a command taken before a restart is not run again (remembered past its expiry).
    claimCommand: (c) =>
      store.claimReplay(
        [`hub-command:${env.MEDIC_NODE_NAME}:${c.id}`],
        c.expiresAt + 3_600_000,
        clock.now(),
      ) === 'new',
    views: () => engine.views(),
    clock,
    logger: log,
    intervalMs: env.MEDIC_HUB_SHIP_INTERVAL_MS,
    // Hub commands run through this agent's own API (role checks, engine, decide(), audit).
    execute: yoga ? (command) => runHubCommand(yoga(), command, () => clock.now()) : undefined,
    contract: contractSnapshots(
      parts.drift,
      () => clock.now(),
      undefined,
      () => {
        // The same sources as this agent's /runbook: the contract and the ACTIVE policy version.
        const policies = activePolicySet(store)?.set ?? policySetOfContract(parts.contract);
        return {
          scope: parts.contract.supervisor.scope,
          services: runbookServices(parts.contract, policies),
        };
      },
    ),
    // The maintenance windows as this agent's `maintenanceWindows` answers them (shipped when
    // changed; capped so an oversized list can never make the hub refuse every batch).
    maintenance: () =>
      windowViews({ engine, store, now: () => clock.now(), node: env.MEDIC_NODE_NAME }).slice(
        0,
        MAX_SHIPPED_WINDOWS,
      ),
    // Fleet dependencies: named in each batch, the hub's answer feeds the engine.
    ...(remote ? { watch: () => remote.watched(), onRemote: (r) => remote.received(r) } : {}),
  });
  shipper.start();
  log.info({ hub: env.MEDIC_HUB_URL }, `shipping events to the hub as node ${env.MEDIC_NODE_NAME}`);
  return shipper;
}

/** In fleet mode the hub talks to Slack; an agent's own bot only with MEDIC_SLACK_IN_FLEET=1. */
export function agentSlackOn(env: Pick<Env, 'MEDIC_HUB_URL' | 'MEDIC_SLACK_IN_FLEET'>): boolean {
  return !env.MEDIC_HUB_URL || env.MEDIC_SLACK_IN_FLEET === '1';
}

/**
 * The Slack bot when Slack is configured (loaded lazily: Bolt is not loaded otherwise), or null
 * after saying "Slack bot disabled" once. It reaches medic through the API's yoga in-process.
 */
async function startSlackBot(parts: ServeParts, yoga: () => YogaLike, clock: Clock) {
  const log = parts.logger.child({ component: 'serve' });
  if (!slackConfigured(parts.env)) {
    log.info('Slack bot disabled (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_CHANNEL not set)');
    return null;
  }
  if (!agentSlackOn(parts.env)) {
    log.info(
      'Slack bot off: this agent ships to a hub, which posts for the fleet (MEDIC_SLACK_IN_FLEET=1 keeps it)',
    );
    return null;
  }
  const { createSlackBot } = await import('../../bot/app.js');
  const { graphqlOverYoga } = await import('../../bot/graphql/transport.js');
  return createSlackBot({
    env: parts.env,
    logger: parts.logger,
    clock,
    graphql: graphqlOverYoga(yoga),
    onSlackCall: (method, outcome) => parts.metrics.slackCall(method, outcome),
    // Durable: a replayed request is recognised after a restart too.
    replayGuard: { claim: (keys, expiresAt) => parts.store.claimReplay(keys, expiresAt, clock.now()) },
  });
}
