/**
 * Which service views a batch carries (issue 15): only the views that changed since the hub last
 * confirmed them, or all of them when the shipper does not know what the hub holds (`confirmed`
 * null: the handshake, after a failed round or a 409 GAP, and periodically — src/agent/shipper.ts).
 *
 * The promise (test/fleet/view-diff.test.ts, by property): when the hub holds `confirmed` for
 * these names, the hub holds exactly `current` for every current name once it has applied the
 * views returned; and a view whose JSON equals the confirmed one is never sent again. Views are
 * compared by their JSON text, which is also what is sent (each view is serialised once).
 * Pure: no clock, no I/O.
 */

/** The JSON text of each current view, by service name. */
export type ViewTexts = ReadonlyMap<string, string>;

export function viewTexts(views: readonly { name: string }[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of views) out.set(v.name, JSON.stringify(v));
  return out;
}

/** The texts to send: those of `current` that differ from `confirmed` (all when it is null). */
export function viewsToShip(current: ViewTexts, confirmed: ViewTexts | null): string[] {
  const out: string[] = [];
  for (const [name, text] of current) if (confirmed?.get(name) !== text) out.push(text);
  return out;
}
