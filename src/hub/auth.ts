/**
 * Who is calling the hub. Every endpoint but /healthz and /readyz needs `Authorization: Bearer
 * <hub token>` (tokens.ts): /graphql and /metrics take viewer, operator, admin or bot tokens;
 * the agent endpoints take agent tokens only. An agent token elsewhere, or an API token on the
 * agent endpoints, is 403: each role has its own door.
 */
import { bearerToken, hashToken } from '../api/http/auth.js';
import type { HubDb } from './db.js';
import type { HubPrincipal } from './schema/index.js';
import { TokenBatcher } from './token-batch.js';
import { findHubToken, type HubToken } from './tokens.js';

export type HubAuth =
  | { ok: true; token: HubToken }
  | { ok: false; status: 401 | 403 | 503; code: string; message: string };

/** Touch `last_used_at` at most this often per token. */
const TOUCH_EVERY_MS = 60_000;
/**
 * How long a looked-up agent token is trusted without asking PostgreSQL again on the budget
 * endpoints (`cached`): a lease request needs no database round trip of its own for the token.
 * A revoked agent token is refused there within this long (at once everywhere else). An entry
 * used in the second half of its life is looked up again in the background (its answer replaces
 * it; a revoked token's refresh drops it): an agent that keeps asking never waits for a lookup
 * after its first (measured: cache misses every 5 s were the budget answers' `auth` p99,
 * 84–1,055 ms under load, docs/BENCHMARKS.md "Fleet budget, run 5").
 */
export const AGENT_TOKEN_CACHE_MS = 5_000;
const CACHE_MAX = 50_000;
/**
 * Background refreshes start at most this often, each round all the entries that fell due since
 * (one query, token-batch.ts). Measured before: a thousand agents' entries fell due one by one,
 * so nearly every refresh was a query of its own — about 110 token queries a second, half as many
 * statements as the finishes themselves in the lease bench (docs/BENCHMARKS.md "Fleet budget
 * lease cost, run 8"). An entry is due with half its life left, so waiting this long for its
 * round keeps the revocation bound (AGENT_TOKEN_CACHE_MS after the last lookup that saw it live).
 */
export const REFRESH_EVERY_MS = 250;

interface Cached {
  /** The answer itself, made once per lookup: a cache hit allocates nothing. */
  auth: { ok: true; token: HubToken };
  until: number;
  refreshing: boolean;
  /**
   * When this entry last recorded its token's use: a hit checks here, not the `touched` map (a
   * lookup per request, ~2 µs of hub CPU measured under the lease bench); kept across refreshes.
   */
  touchedAt: number;
}

const MISSING: HubAuth = Object.freeze({
  ok: false,
  status: 401,
  code: 'UNAUTHENTICATED',
  message: 'missing bearer token',
});

export class HubAuthenticator {
  private readonly touched = new Map<string, number>();
  /** sha256 of a secret → its agent token and until when it is trusted (see AGENT_TOKEN_CACHE_MS). */
  private readonly agents = new Map<string, Cached>();
  /** Lookups under way for the cache, by sha256: concurrent first requests of a token share one. */
  private readonly lookups = new Map<string, Promise<HubToken | null>>();
  /** The cache's lookups and every touch, group-committed (token-batch.ts). */
  private readonly batch: TokenBatcher;
  /** Cached entries due for a refresh, by sha256, and when the last round of refreshes started. */
  private readonly due = new Set<string>();
  private lastRefresh = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly db: HubDb,
    private readonly now: () => number,
  ) {
    this.batch = new TokenBatcher(db);
  }

  /**
   * `cached`: an agent token looked up less than AGENT_TOKEN_CACHE_MS ago is trusted without a
   * query (the budget endpoints' hot path); unknown tokens and other roles are always looked up.
   */
  async authenticate(header: string | undefined | null, cached = false): Promise<HubAuth> {
    if (cached) return this.agent(header);
    const secret = bearerToken(header ?? null);
    if (!secret) return MISSING;
    return this.found(findHubToken(this.db, secret));
  }

  /**
   * `authenticate(header, true)` for the budget endpoints, answered synchronously (not a
   * promise) when the token is in the cache: measured, the promise and its turn of the
   * microtask queue were a visible part of the hub's CPU per request there (docs/BENCHMARKS.md
   * "Fleet budget hub CPU per request, run 11").
   */
  agent(header: string | undefined | null): HubAuth | Promise<HubAuth> {
    const secret = bearerToken(header ?? null);
    if (!secret) return MISSING;
    const key = hashToken(secret);
    const hit = this.agents.get(key);
    const at = this.now();
    if (!hit || hit.until <= at) return this.found(this.lookUp(key));
    if (!hit.refreshing && hit.until - at < AGENT_TOKEN_CACHE_MS / 2) {
      hit.refreshing = true;
      this.due.add(key);
    }
    this.refreshDue(at);
    if (at - hit.touchedAt >= TOUCH_EVERY_MS) hit.touchedAt = this.touch(hit.auth.token.name, at);
    return hit.auth;
  }

  /** The answer for a looked-up token (and its use recorded). */
  private async found(lookup: Promise<HubToken | null>): Promise<HubAuth> {
    let token: HubToken | null;
    try {
      token = await lookup;
    } catch {
      return { ok: false, status: 503, code: 'HUB_UNAVAILABLE', message: 'the hub database is unreachable' };
    }
    if (!token)
      return { ok: false, status: 401, code: 'UNAUTHENTICATED', message: 'invalid or revoked token' };
    this.touch(token.name, this.now());
    return { ok: true, token };
  }

  /**
   * Records a token's use (`last_used_at`) at most every TOUCH_EVERY_MS, in the background;
   * returns when its use was last recorded (now, or the earlier time that kept it from it).
   */
  private touch(name: string, now: number): number {
    const last = this.touched.get(name) ?? Number.NEGATIVE_INFINITY;
    if (now - last < TOUCH_EVERY_MS) return last;
    this.touched.set(name, now);
    this.batch.touch(name, now);
    return now;
  }

  /** Starts the due refreshes together (one query), at most every REFRESH_EVERY_MS. */
  private refreshDue(at: number): void {
    if (this.due.size === 0 || at - this.lastRefresh < REFRESH_EVERY_MS) return;
    this.lastRefresh = at;
    const keys = [...this.due];
    this.due.clear();
    for (const key of keys)
      this.lookUp(key).catch(() => {
        const entry = this.agents.get(key);
        if (entry) entry.refreshing = false;
      });
  }

  /** Looks a token up for the cache (one lookup per token at a time) and caches an agent token. */
  private lookUp(key: string): Promise<HubToken | null> {
    const running = this.lookups.get(key);
    if (running) return running;
    const lookup = this.batch
      .lookup(key)
      .then((token) => {
        if (token?.role === 'agent') {
          if (this.agents.size >= CACHE_MAX) this.agents.clear();
          this.agents.set(key, {
            auth: Object.freeze({ ok: true, token }),
            until: this.now() + AGENT_TOKEN_CACHE_MS,
            refreshing: false,
            touchedAt: this.agents.get(key)?.touchedAt ?? Number.NEGATIVE_INFINITY,
          });
        } else this.agents.delete(key);
        return token;
      })
      .finally(() => this.lookups.delete(key));
    this.lookups.set(key, lookup);
    return lookup;
  }

  /** A caller of /graphql or /metrics: any role but `agent`. */
  async operator(
    header: string | undefined | null,
  ): Promise<{ ok: true; principal: HubPrincipal } | Extract<HubAuth, { ok: false }>> {
    const auth = await this.authenticate(header);
    if (!auth.ok) return auth;
    if (auth.token.role === 'agent')
      return {
        ok: false,
        status: 403,
        code: 'FORBIDDEN',
        message: `token '${auth.token.name}' is an agent token: it may only ship for node ${auth.token.node}`,
      };
    return { ok: true, principal: { name: auth.token.name, role: auth.token.role } };
  }
}
