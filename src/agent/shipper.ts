/**
 * Longer than ~200 lines on purpose: the cursor, the command ids run and the results to ship are
 * one state machine advanced by one timer; splitting it would share that state across files.
 *
 * The agent's hub shipper (issue 15): ships the committed audit events of the local SQLite store
 * to the hub, in id order, at least once, plus the service views that changed since the hub last
 * confirmed them (src/agent/view-diff.ts): all of them at the handshake, after any failed round
 * or 409 GAP (the hub may hold an emptied or older database) and every `fullViewsEveryMs`; the
 * hub judges a view's freshness by the node's last batch, not by when the view was last sent
 * (src/hub/remote-states.ts). An empty batch is the heartbeat. The cursor is the hub's: the
 * shipper starts by asking (an empty batch with `after` null) and moves only to the cursor the
 * hub confirms, so a lost reply re-sends (harmless: the hub is idempotent on node + event id)
 * and a hub outage resumes where the hub stopped: no gap, no duplicate. Decisions never wait on
 * it: it only reads the store, on its own timer. Its cost
 * on the agent's event loop is kept small: the events come out of SQLite as one JSON array in
 * UTF-8 bytes (src/store/shipped-events.ts) and go into the body as they are, written as
 * Buffers, up to MAX_BATCH_EVENTS per request; each view is serialised once per round
 * (docs/BENCHMARKS.md, "Fleet hub, run 7").
 *
 * Commands down: the hub's reply carries the operator commands queued for this node; the shipper
 * runs each id once, in order, through `execute` (the agent's own API: its role checks, engine,
 * decide() and audit), and ships the results with the next batch — at once, not after the
 * interval. A command the hub re-delivers (its result was not stored yet) is not run again. A
 * command this agent's version cannot run (a newer hub's: an unknown operation, a field value it
 * cannot read) is answered at once with an UNSUPPORTED_OPERATION / UNREADABLE_COMMAND result
 * naming this agent's version (src/fleet/ship-reply.ts); the rest of the reply counts. Items it
 * cannot even answer (a command without an id) are left out, said once.
 *
 * Speaks once per outage: the first failure is logged (warn), repeats are counted, the recovery
 * is logged with the count.
 */
import type { Clock, Timer } from '../clock/clock.js';
import type { ServiceView } from '../core/view.js';
import type { ShippedWindow } from '../fleet/maintenance.js';
import {
  type CommandResult,
  type ContractSnapshot,
  type FleetCommand,
  MAX_BATCH_BYTES,
  MAX_BATCH_EVENTS,
  MAX_BATCH_RESULTS,
  type OutgoingBatch,
  type RemoteState,
  SHIP_PATH,
} from '../fleet/protocol.js';
import {
  type ParsedShipReply,
  parseShipReply,
  type RefusedCommand,
  refusalResult,
} from '../fleet/ship-reply.js';
import type { Logger } from '../log.js';
import { HubRequestError, postToHub } from './hub-request.js';
import { type ViewTexts, viewsToShip, viewTexts } from './view-diff.js';

export interface ShipperOptions {
  hubUrl: string;
  token: string;
  node: string;
  version: string | null;
  /**
   * Committed events with id > after, oldest first, at most `first`, as one JSON array (UTF-8
   * bytes) and its length (the store's shippedEventsAfter).
   */
  readEvents(after: number, first: number): { json: Buffer; count: number };
  views(): ServiceView[];
  /** Every view is sent again at least this often, changed or not (default 60 s). */
  fullViewsEveryMs?: number;
  clock: Clock;
  logger: Logger;
  intervalMs: number;
  batchSize?: number;
  /** Longest wait between attempts while the hub fails (default 16 intervals, at most 30 s). */
  maxBackoffMs?: number;
  /** The store's identity (shipped with each batch: a new store's ids restart at 1). */
  storeId?: () => string;
  /**
   * The store's newest event id when this process opened it, before writing (0 when empty): sent
   * with the handshake, so a hub holding more of this store (a backup restored) renumbers.
   */
  lastEventId?: () => number;
  /**
   * Remembers durably that `command` is being run; false when it was already (before a restart):
   * then it is not run again. Without it, the ids run are remembered in memory only.
   */
  claimCommand?: (command: FleetCommand) => boolean;
  /** MEDIC_HUB_CA (PEM): the only CA trusted for an https hub; unset: Node's default store. */
  ca?: string | Buffer;
  /** Runs one hub command locally (through the agent's API); without it commands are not run. */
  execute?: (command: FleetCommand) => Promise<CommandResult>;
  /** The runtime contract as the API answers it (null: none); shipped when it changed. */
  contract?: () => Promise<ContractSnapshot | null>;
  /** The maintenance windows as the API's `maintenanceWindows` answers them; shipped when they changed. */
  maintenance?: () => readonly ShippedWindow[];
  /** Services on other nodes this agent depends on (`node/name`), named in every batch. */
  watch?: () => readonly string[];
  /** The hub's answer about the watched services (each successful round that carries one). */
  onRemote?: (remote: RemoteState[]) => void;
}

/** Refusals that retrying does not fix (a token, node name or store problem). */
const CONFIG_REFUSALS = new Set(['UNAUTHENTICATED', 'WRONG_NODE', 'WRONG_ROLE', 'STORE_CHANGED']);

/** A batch's events stay under this many bytes (the hub refuses bodies over MAX_BATCH_BYTES). */
const EVENTS_BYTES = MAX_BATCH_BYTES - 512 * 1024;

/** No events (the handshake). */
const EMPTY = { json: Buffer.from('[]'), count: 0 };

/** A batch without its events and views (they go in as they are: Shipper.send). */
type BatchHead = Omit<OutgoingBatch, 'events' | 'services'>;

/** Remember this many command ids already run (re-deliveries come within a few rounds). */
const RAN_MEMORY = 10_000;

export interface ShipperStatus {
  cursor: number | null;
  connected: boolean;
  failures: number;
}

export class Shipper {
  private cursor: number | null = null;
  private timer: Timer | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private failures = 0;
  private readonly batchSize: number;
  /** Results not yet confirmed by the hub, oldest first. */
  private results: CommandResult[] = [];
  private readonly ran = new Set<number>();
  private warnedAhead = false;
  private warnedIgnored = false;
  /** The contract snapshot the hub last accepted (JSON), or undefined: to be sent (forgetShipped). */
  private shippedContract: string | undefined;
  /** The maintenance windows the hub last accepted (JSON), or undefined: to be sent (forgetShipped). */
  private shippedWindows: string | undefined;
  /** The views the hub confirmed (JSON by name), or null: send them all (forgetShipped). */
  private shippedViews: ViewTexts | null = null;
  /** When the last full set of views was confirmed. */
  private fullViewsAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly opts: ShipperOptions) {
    // The largest batch the hub takes: fewer requests per event (each costs the agent ~0.3 ms).
    this.batchSize = Math.min(opts.batchSize ?? MAX_BATCH_EVENTS, MAX_BATCH_EVENTS);
  }

  status(): ShipperStatus {
    return {
      cursor: this.cursor,
      connected: this.failures === 0 && this.cursor !== null,
      failures: this.failures,
    };
  }

  start(): void {
    this.schedule(0);
  }

  /** Stops the timer and waits for a request in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.opts.clock.clearTimeout(this.timer);
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.opts.clock.setTimeout(() => {
      this.running = this.tick().then((next) => this.schedule(next));
    }, ms);
  }

  /** One round; returns the delay before the next. */
  private async tick(): Promise<number> {
    const { opts } = this;
    try {
      // A handshake: whatever the hub held before, it gets the contract, windows and views again.
      if (this.cursor === null) this.forgetShipped();
      const events = this.cursor === null ? EMPTY : this.readEvents(this.cursor);
      const results = this.results.slice(0, MAX_BATCH_RESULTS);
      const store = opts.storeId?.();
      const contract = opts.contract ? await opts.contract() : undefined;
      const contractJson = contract === undefined ? undefined : JSON.stringify(contract);
      const changed = contractJson !== undefined && contractJson !== this.shippedContract;
      const windows = opts.maintenance?.();
      const windowsJson = windows === undefined ? undefined : JSON.stringify(windows);
      const windowsChanged = windowsJson !== undefined && windowsJson !== this.shippedWindows;
      const watch = opts.watch?.() ?? [];
      const now = opts.clock.now();
      if (now - this.fullViewsAt >= (opts.fullViewsEveryMs ?? 60_000)) this.shippedViews = null;
      const full = this.shippedViews === null;
      const views = viewTexts(opts.views());
      const head: BatchHead = {
        node: opts.node,
        version: opts.version,
        ...(store ? { store } : {}),
        after: this.cursor,
        // The handshake names the store's newest event: a hub holding more knows it was restored.
        ...(this.cursor === null && opts.lastEventId ? { newest: opts.lastEventId() } : {}),
        results,
        ...(changed ? { contract } : {}),
        ...(windowsChanged ? { maintenance: windows } : {}),
        ...(watch.length > 0 ? { watch } : {}),
      };
      const reply = await this.send(
        head,
        events.json,
        `[${viewsToShip(views, this.shippedViews).join(',')}]`,
      );
      // A GAP stored nothing of the batch: the next one (from the hub's cursor) sends every view.
      if (!reply.gap) {
        this.shippedViews = views;
        if (full) this.fullViewsAt = now;
      }
      if (changed) this.shippedContract = contractJson;
      if (windowsChanged) this.shippedWindows = windowsJson;
      this.recovered();
      if (this.cursor === null) this.checkAhead(reply.cursor);
      this.cursor = reply.cursor;
      // Stored by the hub in the same transaction as the batch.
      this.results = this.results.slice(results.length);
      if (reply.remote) opts.onRemote?.(reply.remote);
      this.refuse(reply.refused);
      this.sayIgnored(reply.ignored);
      await this.run(reply.commands);
      // A full batch, or results to report: ship now.
      return events.count === this.batchSize || this.results.length > 0 ? 0 : opts.intervalMs;
    } catch (err) {
      return this.failed(err as Error);
    }
  }

  /**
   * At the handshake: the hub holding more of this store's events than the store has means the
   * database was replaced by an older copy of itself (a backup restored). A hub that knows
   * `newest` renumbers and answers `newest` (never ahead); a hub older than that answers its
   * cursor, and the store's next ids would be taken for re-sends. Said once, loudly.
   */
  private checkAhead(cursor: number): void {
    const newest = this.opts.lastEventId?.();
    if (newest === undefined || cursor <= newest || this.warnedAhead) return;
    this.warnedAhead = true;
    this.opts.logger.error(
      { hubCursor: cursor, newest },
      `the hub holds events of this store up to ${cursor} but its newest event is ${newest}: the database was restored from an older copy; events ${newest + 1}..${cursor} will not reach this hub, which is older than the agent (docs/FLEET.md, failure modes)`,
    );
  }

  /** Answers the commands this agent cannot run (once per id); their results go with the next batch. */
  private refuse(commands: readonly RefusedCommand[]): void {
    if (!this.opts.execute) return;
    for (const command of commands) {
      if (!this.remember(command.id)) continue;
      const result = refusalResult(command, this.opts.version, this.opts.clock.now());
      this.opts.logger.warn(
        {
          command: command.id,
          operation: command.operation,
          service: command.service,
          actor: command.actor,
          problem: command.problem,
        },
        `hub command ${command.operation ?? '?'} ${command.service ?? '?'}: ${command.code} (not run)`,
      );
      this.results.push(result);
    }
  }

  /** Items of a reply this agent left out unread (a newer hub's?): said once per run of the agent. */
  private sayIgnored(ignored: ParsedShipReply['ignored']): void {
    if (this.warnedIgnored || ignored.commands + ignored.remote === 0) return;
    this.warnedIgnored = true;
    this.opts.logger.warn(
      ignored,
      "the hub's reply had items this agent cannot read (commands without an id, remote states): left out; is the hub newer than this agent?",
    );
  }

  /** False when the command id was seen already; else remembers it (the newest RAN_MEMORY ids). */
  private remember(id: number): boolean {
    if (this.ran.has(id)) return false;
    this.ran.add(id);
    if (this.ran.size > RAN_MEMORY) this.ran.delete(this.ran.values().next().value as number);
    return true;
  }

  /** Runs the commands not run yet, in order; their results wait for the next batch. */
  private async run(commands: readonly FleetCommand[]): Promise<void> {
    const { execute, logger, clock } = this.opts;
    if (!execute) return;
    for (const command of commands) {
      if (!this.remember(command.id)) continue;
      let result: CommandResult;
      try {
        // Claimed durably before it runs: at most once, also across a restart of this agent.
        if (this.opts.claimCommand && !this.opts.claimCommand(command)) {
          result = {
            id: command.id,
            at: clock.now(),
            ok: false,
            type: 'Error',
            code: 'ALREADY_TAKEN',
            message:
              'this agent took the command before it restarted (its outcome is in the agent audit log); not run again',
            state: null,
          };
        } else result = await execute(command);
      } catch (err) {
        result = {
          id: command.id,
          at: clock.now(),
          ok: false,
          type: 'Error',
          code: 'INTERNAL',
          message: (err as Error).message.slice(0, 2000),
          state: null,
        };
      }
      logger.info(
        {
          command: command.id,
          operation: command.operation,
          service: command.service,
          actor: command.actor,
          type: result.type,
        },
        `hub command ${command.operation} ${command.service}: ${result.ok ? 'taken' : (result.code ?? result.type)}`,
      );
      this.results.push(result);
    }
  }

  /**
   * The next events after `after`: a full batch, or fewer when that would come near the hub's
   * body limit (events with large `data`, e.g. drift findings): halved until it fits.
   */
  private readEvents(after: number): { json: Buffer; count: number } {
    let first = this.batchSize;
    for (;;) {
      const read = this.opts.readEvents(after, first);
      if (first === 1 || read.json.length < EVENTS_BYTES) return read;
      first = Math.max(1, Math.floor(first / 2));
    }
  }

  /**
   * Posts the batch: `head` serialised, the events' bytes and the views' JSON put in as they are
   * (never parsed and serialised again). A 409 GAP answers with the hub's cursor and `gap`.
   */
  private async send(
    head: BatchHead,
    events: Buffer,
    viewsJson: string,
  ): Promise<ParsedShipReply & { gap?: true }> {
    const headJson = JSON.stringify(head);
    const res = await postToHub({
      url: new URL(SHIP_PATH, this.opts.hubUrl),
      token: this.opts.token,
      parts: [
        Buffer.from(`${headJson.slice(0, -1)},"events":`),
        events,
        Buffer.from(`,"services":${viewsJson}}`),
      ],
      ca: this.opts.ca,
      timeoutMs: 10_000,
      clock: this.opts.clock,
    });
    const body = res.body as { cursor?: number; error?: { code: string; message: string } } | null;
    if (res.status >= 200 && res.status < 300) {
      const reply = parseShipReply(body);
      if (reply) return reply;
    }
    // The hub holds less than we thought (its database was restored): resume from its cursor.
    if (res.status === 409 && typeof body?.cursor === 'number') {
      this.forgetShipped();
      this.opts.logger.warn(
        { cursor: body.cursor, after: head.after },
        'hub cursor behind ours: re-shipping',
      );
      return {
        cursor: body.cursor,
        commands: [],
        refused: [],
        ignored: { commands: 0, remote: 0 },
        gap: true,
      };
    }
    const code = body?.error?.code ?? '';
    throw new HubRequestError(
      `hub answered ${res.status}: ${code} ${body?.error?.message ?? ''}`.trim(),
      code || null,
      // Refusals only the operator can fix: said at error level, like an untrusted certificate.
      CONFIG_REFUSALS.has(code),
    );
  }

  /**
   * Forgets the contract snapshot, windows and views the hub was last sent, so the next batch
   * carries them all again whether they changed or not. Called at the handshake, after any failed round (an
   * outage, a refusal, a lost reply) and when the hub's cursor is behind ours (409 GAP): each time
   * the hub may hold a database emptied or restored from an older copy, where they are missing or
   * stale. A hub database changed under a hub that answers every batch without a gap is not
   * noticed (docs/FLEET.md, failure modes).
   */
  private forgetShipped(): void {
    this.shippedContract = undefined;
    this.shippedWindows = undefined;
    this.shippedViews = null;
  }

  private recovered(): void {
    if (this.failures > 0) {
      this.opts.logger.info({ failures: this.failures }, 'hub reachable again: shipping resumes');
    }
    this.failures = 0;
  }

  private failed(err: Error): number {
    this.failures += 1;
    // The hub may come back on an emptied or restored database: send it all again.
    this.forgetShipped();
    if (this.failures === 1) {
      // An untrusted certificate or a refused token is configuration, not an outage: say it louder.
      const config = err instanceof HubRequestError && err.config;
      this.opts.logger[config ? 'error' : 'warn'](
        { err: err.message },
        config
          ? `cannot ship to the hub: ${err.message} (decisions go on locally; retrying)`
          : 'cannot ship to the hub: retrying (decisions go on locally)',
      );
    }
    const backoff = this.opts.intervalMs * 2 ** Math.min(this.failures - 1, 10);
    return Math.min(backoff, this.opts.maxBackoffMs ?? Math.min(30_000, this.opts.intervalMs * 16));
  }
}
