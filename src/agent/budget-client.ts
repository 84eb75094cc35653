/**
 * The agent's side of the fleet restart budget (issue 16): asks the hub for a lease before an
 * automatic restart and reports when the restart's outcome is known. The answer becomes one of
 * three inputs for decide(): granted (with the lease), denied (with when to ask again and the
 * group's numbers), unreachable (no answer within `timeoutMs`, a refusal, or a network error) —
 * the policy's `onHubUnreachable` then decides, not this client.
 *
 * The lease id is minted from node, service and the restart's episode counter by the caller, so a
 * request retried after a lost reply gets the same lease back (the hub is idempotent on it).
 */
import type { Clock } from '../clock/clock.js';
import type { BudgetLimits, GroupNumbers, Lease } from '../fleet/budget.js';
import {
  FINISH_PATH,
  LEASE_PATH,
  LEASE_REQUEST_EXPIRED,
  type LeaseRequestBody,
  MAX_LEASE_WAIT_MS,
  WAIT_HEADER,
  WAIT_PATH,
} from '../fleet/budget-protocol.js';
import type { WaitedFor } from '../fleet/slot-notice.js';
import { postToHub } from './hub-request.js';

export type BudgetAnswer =
  | { type: 'budget_granted'; leaseId: string; numbers: GroupNumbers }
  | {
      type: 'budget_denied';
      retryAt: number;
      /** The hub's retryAt as a duration on its own clock (absent from an older hub). */
      retryInMs?: number;
      position: number;
      numbers: GroupNumbers;
    }
  | {
      type: 'budget_unreachable';
      reason: string;
      /**
       * The request cannot have been granted: the hub refused it (a 4xx), answered
       * LEASE_REQUEST_EXPIRED, or it was never sent (no connection). No grant to pick up.
       */
      nothingGranted?: true;
    };

/** How one service's slot notification ended (the node's wait named it, its bound, or a failure). */
export type SlotWait = 'free' | 'bound' | 'failed';

export interface BudgetClientOptions {
  hubUrl: string;
  token: string;
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  /** MEDIC_HUB_CA (PEM) for an https hub. */
  ca?: string | Buffer;
}

type Reply =
  | { granted: true; lease: Lease; numbers: GroupNumbers }
  | { granted: false; retryAt: number; retryInMs?: number; position: number; numbers: GroupNumbers }
  | { ask: WaitedFor[] }
  | { error?: { code: string; message: string } };

/** Connection failures before anything was sent: the hub cannot have arbitrated the request. */
const UNSENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export class BudgetClient {
  constructor(private readonly opts: BudgetClientOptions) {}

  private async post(
    path: string,
    body: unknown,
    timeoutMs: number,
    signal?: AbortSignal,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: Reply | null }> {
    const res = await postToHub({
      ...(headers ? { headers } : {}),
      url: new URL(path, this.opts.hubUrl),
      token: this.opts.token,
      body,
      ca: this.opts.ca,
      timeoutMs,
      clock: this.opts.clock,
      ...(signal ? { signal } : {}),
    });
    return { status: res.status, body: res.body as Reply | null };
  }

  /**
   * Asks for a lease; never throws: every failure is `budget_unreachable` with its reason (the
   * hub's LEASE_REQUEST_EXPIRED too). Tells the hub how long it waits (`WAIT_HEADER`: `timeoutMs`
   * from now), so the hub does not arbitrate the request once this agent has given up on it.
   */
  async request(
    group: string,
    limits: BudgetLimits,
    lease: { id: string; service: string; operator: boolean },
    timeoutMs: number,
  ): Promise<BudgetAnswer> {
    const body: LeaseRequestBody = { group, limits, ...lease };
    try {
      const res = await this.post(LEASE_PATH, body, timeoutMs, undefined, {
        [WAIT_HEADER]: String(Math.min(MAX_LEASE_WAIT_MS, Math.round(timeoutMs))),
      });
      const reply = res.body;
      if (res.status === 200 && reply && 'granted' in reply) {
        return reply.granted
          ? { type: 'budget_granted', leaseId: reply.lease.id, numbers: reply.numbers }
          : {
              type: 'budget_denied',
              retryAt: reply.retryAt,
              ...(typeof reply.retryInMs === 'number' ? { retryInMs: reply.retryInMs } : {}),
              position: reply.position,
              numbers: reply.numbers,
            };
      }
      const error = reply && 'error' in reply ? reply.error : undefined;
      const reason = `hub answered ${res.status} ${error?.code ?? ''}`.trim();
      // A refusal or an expired request was never arbitrated; a 5xx may come after a grant.
      const nothing = (res.status >= 400 && res.status < 500) || error?.code === LEASE_REQUEST_EXPIRED;
      return { type: 'budget_unreachable', reason, ...(nothing ? { nothingGranted: true as const } : {}) };
    } catch (err) {
      // Not connected, or a configuration error (TLS): the request never reached the hub.
      const e = err as { message: string; code?: unknown; config?: unknown };
      const unsent = e.config === true || (typeof e.code === 'string' && UNSENT.has(e.code));
      return {
        type: 'budget_unreachable',
        reason: e.message,
        ...(unsent ? { nothingGranted: true as const } : {}),
      };
    }
  }

  /** Ends a lease; false when the hub could not be told (the lease then lapses at its TTL). */
  async finish(leaseId: string, timeoutMs: number): Promise<boolean> {
    try {
      return (await this.post(FINISH_PATH, { id: leaseId }, timeoutMs)).status === 200;
    } catch {
      return false;
    }
  }

  /**
   * Holds the node's slot notification open (`WAIT_PATH`, one for all its waiting services) up
   * to `waitMs` (+ `timeoutMs` for the network): the services the hub says should ask for their
   * lease now (none when it held the wait to its bound); `busy` when the hub is there but could
   * not hold it (a 5xx answer, no answer in time, the connection reset: overloaded, or a
   * keep-alive connection it closed as it was reused — the wait is tried again shortly);
   * `failed` on any other answer or a failed connection (an older hub without the endpoint, the
   * hub down) — the agent then asks at its own cadence. Aborting `signal` ends it with none.
   */
  async waitForSlots(
    waits: readonly WaitedFor[],
    waitMs: number,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<WaitedFor[] | 'busy' | 'failed'> {
    try {
      const res = await this.post(WAIT_PATH, { waits, waitMs }, waitMs + timeoutMs, signal);
      if (res.status >= 500) return 'busy';
      if (res.status !== 200 || res.body === null || !('ask' in res.body) || !Array.isArray(res.body.ask))
        return 'failed';
      return res.body.ask;
    } catch (err) {
      if (signal?.aborted) return [];
      const code = (err as { code?: unknown }).code;
      return code === 'ETIMEDOUT' || code === 'ECONNRESET' ? 'busy' : 'failed';
    }
  }
}
