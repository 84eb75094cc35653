/**
 * `/healthz`: the process is alive (always 200 while it can answer).
 * `/readyz`: 200 when the store answers and the rest of medic says it is ready (detection
 * running); otherwise 503 with every reason. Reasons are listed even when ready, so a degraded
 * mode (e.g. polling instead of D-Bus) stays visible. `clock` counts wall-clock steps and shows
 * the last one (informational: delays and windows run on the monotonic clock). `permission`: may
 * medic manage the contract's units (checked over D-Bus; a refusal is also a reason).
 */
import type { ApiStore, Readiness } from '../schema/ports.js';

export function healthz(): Response {
  return Response.json({ ok: true });
}

export function readyz(store: Pick<ApiStore, 'listEvents'>, readiness?: () => Readiness): Response {
  const reasons: string[] = [];
  let ready = true;
  try {
    // The newest event: a prepared query, cheap enough for a probe every second.
    store.listEvents({ first: 1, order: 'desc' });
  } catch (err) {
    ready = false;
    reasons.push(`store unavailable: ${(err as Error).message}`);
  }
  const rest: Readiness = readiness?.() ?? { ready: true, reasons: [], detection: null };
  if (!rest.ready) ready = false;
  reasons.push(...rest.reasons);
  return Response.json(
    {
      ready,
      reasons,
      detection: rest.detection ?? null,
      ...(rest.clock ? { clock: rest.clock } : {}),
      ...(rest.permission ? { permission: rest.permission } : {}),
    },
    { status: ready ? 200 : 503, headers: { 'cache-control': 'no-store' } },
  );
}
