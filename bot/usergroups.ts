/**
 * Slack user groups as roles (issue 17): SLACK_OPERATOR_GROUPS / SLACK_ADMIN_GROUPS name user
 * groups (ids `S…`) whose members get that role, beside the id lists SLACK_OPERATORS /
 * SLACK_ADMINS. Membership is read with `usergroups.users.list` (scope `usergroups:read`) and kept
 * per group for a short TTL (SLACK_USERGROUP_TTL_SEC, default 60 s): a member removed from the
 * group loses the right within the TTL. A user not found in a cached list triggers one refresh of
 * that list (a member just added is recognised at once), at most once per `missRefreshMs` per group
 * so a busy viewer cannot turn every click into an API call. A failing lookup grants nothing from
 * that group (the id lists still apply) and is logged.
 *
 * The role is resolved here at every click and command, exactly like the id lists, and passed to
 * GraphQL with the actor, where authorization and the `access_denied` audit happen.
 */
import type { Role } from '../src/core/roles.js';
import type { BotClock } from './types.js';

/** The one Web API call used: `usergroups.users.list({ usergroup })` → `{ users: [...] }`. */
export interface UserGroupsApi {
  usergroups: {
    users: {
      list(args: { usergroup: string }): Promise<{ ok?: boolean; users?: string[]; error?: string }>;
    };
  };
}

export interface GroupRolesConfig {
  operatorGroups: readonly string[];
  adminGroups: readonly string[];
  ttlMs: number;
  /** Minimum time between two refreshes of one group caused by a miss (default 5 s). */
  missRefreshMs?: number;
}

interface Entry {
  members: ReadonlySet<string>;
  fetchedAt: number;
  /** Last refresh caused by a miss. */
  missAt: number;
}

export class GroupRoles {
  private readonly cache = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<Entry | null>>();

  constructor(
    private readonly api: UserGroupsApi,
    private readonly config: GroupRolesConfig,
    private readonly clock: Pick<BotClock, 'now'>,
    private readonly onError: (group: string, err: unknown) => void = () => {},
  ) {}

  get enabled(): boolean {
    return this.config.operatorGroups.length + this.config.adminGroups.length > 0;
  }

  /** The highest role the user's group memberships give ('viewer' when none). */
  async roleOf(userId: string): Promise<Role> {
    if (await this.inAny(this.config.adminGroups, userId)) return 'admin';
    if (await this.inAny(this.config.operatorGroups, userId)) return 'operator';
    return 'viewer';
  }

  private async inAny(groups: readonly string[], userId: string): Promise<boolean> {
    for (const g of groups) if (await this.isMember(g, userId)) return true;
    return false;
  }

  private async isMember(group: string, userId: string): Promise<boolean> {
    const now = this.clock.now();
    let entry = this.cache.get(group);
    let fresh = false;
    if (!entry || now - entry.fetchedAt >= this.config.ttlMs) {
      entry = (await this.fetch(group)) ?? undefined;
      fresh = true;
    }
    if (!entry) return false;
    if (entry.members.has(userId)) return true;
    // A miss in a list read earlier: maybe just added to the group. Refresh once, rate-limited per group.
    if (fresh || now - entry.missAt < (this.config.missRefreshMs ?? 5000)) return false;
    entry.missAt = now;
    const again = await this.fetch(group, now);
    return again?.members.has(userId) ?? false;
  }

  /** One fetch per group at a time; the cache keeps the last good list when a refresh fails. */
  private fetch(group: string, missAt?: number): Promise<Entry | null> {
    const running = this.inflight.get(group);
    if (running) return running;
    const p = (async () => {
      try {
        const res = await this.api.usergroups.users.list({ usergroup: group });
        if (res.ok === false || !Array.isArray(res.users))
          throw new Error(res.error ?? 'no users in the answer');
        const entry: Entry = {
          members: new Set(res.users),
          fetchedAt: this.clock.now(),
          missAt: missAt ?? this.cache.get(group)?.missAt ?? Number.NEGATIVE_INFINITY,
        };
        this.cache.set(group, entry);
        return entry;
      } catch (err) {
        this.onError(group, err);
        // Nothing is granted from a list we could not read (an expired one is dropped).
        this.cache.delete(group);
        return null;
      } finally {
        this.inflight.delete(group);
      }
    })();
    this.inflight.set(group, p);
    return p;
  }
}
