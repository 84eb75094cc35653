/**
 * The ids of audit events the engine has published (committed here or relayed), so `relay`
 * never publishes an event twice. Bounded: the most recent `capacity` ids are remembered
 * exactly; older ones fall below a floor and count as published, so a relay that arrives
 * thousands of events late is dropped rather than published twice.
 */
export class PublishedIds {
  private readonly ids = new Set<number>();
  private floor = 0;

  constructor(private readonly capacity = 4096) {}

  has(id: number): boolean {
    return id <= this.floor || this.ids.has(id);
  }

  add(id: number): void {
    this.ids.add(id);
    if (this.ids.size <= this.capacity) return;
    // Sets iterate in insertion order: forget the oldest-remembered id, raise the floor to it.
    const oldest = this.ids.values().next().value!;
    this.ids.delete(oldest);
    this.floor = Math.max(this.floor, oldest);
  }
}
