/**
 * Server-side timing of one agent request (issue 16's lease latency): the stages of the budget
 * endpoints, sent back as a standard `Server-Timing` header (`auth;dur=0.04, queue;dur=3.1, …`,
 * milliseconds) so a client can tell the hub's own time from the time its request spent
 * elsewhere (its socket, its event loop, the network). Costs a few `performance.now()` calls.
 */
/**
 * The one reading of a monotonic clock for these measurements (ms): how long the hub's stages
 * took, reported to the client and never decided on — not the Clock's time (the architecture
 * test allows it here only).
 */
export const timingNow = (): number => performance.now();

export class ServerTiming {
  private readonly t0 = timingNow();
  private last = this.t0;
  /** The stages so far, each followed by `, ` (one string, not an array joined at the end). */
  private parts = '';

  /** Records the time since the previous mark (or the start) as stage `name`. */
  mark(name: string): void {
    const now = timingNow();
    this.add(name, now - this.last);
    this.last = now;
  }

  /** Records a stage measured elsewhere (e.g. a batch's queue and transaction), in ms. */
  add(name: string, ms: number, desc?: string): void {
    this.parts += `${name};dur=${ms.toFixed(2)}${desc === undefined ? '' : `;desc="${desc}"`}, `;
  }

  /** The header's value, ending with `total` (start → now). */
  header(): string {
    return `${this.parts}total;dur=${(timingNow() - this.t0).toFixed(2)}`;
  }
}
