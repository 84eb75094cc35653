/**
 * A FIFO of async jobs: each job starts after the previous one settled, and a failing job
 * never blocks the ones after it. The engine keeps one per service for decisions and one
 * per service for effects.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  push<T>(job: () => T | Promise<T>): Promise<T> {
    const run = this.tail.then(job);
    this.tail = run.catch(() => {});
    return run;
  }
}
