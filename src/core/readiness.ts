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
}

/** Combines readiness parts: ready only if all are; reasons concatenated. */
export function combineReadiness(...parts: Readiness[]): Readiness {
  return {
    ready: parts.every((p) => p.ready),
    reasons: parts.flatMap((p) => p.reasons),
    detection: parts.find((p) => p.detection !== null)?.detection ?? null,
  };
}
