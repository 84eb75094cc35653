/**
 * Whether medic may manage the contract's units (src/systemd/permission.ts), kept for readiness:
 * checked over each D-Bus connection detection opens (start, every reconnect) and, while refused,
 * again at each verification round — installing the polkit rule makes medic ready without a
 * restart. Speaks once: the first verdict and every change are logged, repeats are not.
 */
import type { Logger } from '../log.js';
import type { SystemdConnection } from '../systemd/connection.js';
import type { Permission } from '../systemd/permission.js';
import { checkPermission } from '../systemd/polkit-check.js';

export class PermissionWatch {
  private verdict: Permission | null = null;

  constructor(
    private readonly scope: 'user' | 'system',
    private readonly units: readonly string[],
    private readonly logger?: Logger,
  ) {}

  /** The last verdict (null before the first D-Bus connection: polling has nothing to check). */
  current(): Permission | null {
    return this.verdict;
  }

  /** Checks over `conn`; never throws (a failed check is the PERMISSION_UNKNOWN verdict). */
  async check(conn: SystemdConnection): Promise<Permission> {
    const next = await checkPermission(conn, { scope: this.scope, units: this.units });
    const prev = this.verdict;
    this.verdict = next;
    if (prev?.code !== next.code || prev.message !== next.message) {
      const fields = { code: next.code, polkit: next.polkit, refused: next.refused, action: next.action };
      if (next.ok) this.logger?.info(fields, `permission: ${next.message}`);
      else this.logger?.error(fields, `permission: ${next.message}`);
    }
    return next;
  }
}
