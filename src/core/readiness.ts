/**
 * What /readyz reports: whether medic can do its job, and why not (or what is degraded).
 * `ready` is false until the store is open and detection runs; `reasons` lists every problem
 * and degradation (e.g. "D-Bus unavailable ...; polling systemctl show every 1000 ms"), so a
 * polling fallback is visible even while ready.
 */
export interface Readiness {
  ready: boolean;
  reasons: string[];
  /** The detection path in use ('dbus', 'polling' or 'process'); null before it started. */
  detection: string | null;
  /** Wall-clock steps medic noticed (not a reason to be unready: delays run on the monotonic clock). */
  clock?: ClockDetails;
  /** Whether medic may manage the contract's units (checked over D-Bus; absent while polling). */
  permission?: PermissionDetails;
}

/** /readyz `permission`: the verdict of the start-up permission check (docs/SYSTEMD.md "Permissions"). */
export interface PermissionDetails {
  ok: boolean;
  /** PERMISSION_NOT_NEEDED | PERMISSION_GRANTED | PERMISSION_DENIED | PERMISSION_UNKNOWN */
  code: string;
  /** The polkit action systemd checks (org.freedesktop.systemd1.manage-units). */
  action: string;
  /** polkit's answer for the bare action: authorized, challenge, not-authorized, absent, failed, not asked. */
  polkit: string;
  message: string;
  /** Units systemd refused. */
  refused: string[];
}

/** /readyz `clock`: how often the wall clock stepped against the monotonic clock, and the last step. */
export interface ClockDetails {
  steps: number;
  lastStep: { at: string; byMs: number; whileDown: boolean } | null;
}

/** Combines readiness parts: ready only if all are; reasons concatenated. */
export function combineReadiness(...parts: Readiness[]): Readiness {
  const clock = parts.find((p) => p.clock)?.clock;
  const permission = parts.find((p) => p.permission)?.permission;
  return {
    ready: parts.every((p) => p.ready),
    reasons: parts.flatMap((p) => p.reasons),
    detection: parts.find((p) => p.detection !== null)?.detection ?? null,
    ...(clock ? { clock } : {}),
    ...(permission ? { permission } : {}),
  };
}
