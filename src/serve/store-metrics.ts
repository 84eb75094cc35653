/**
 * Store health on /metrics: `medic_store_up` (1 while commits succeed, 0 while failing or after
 * the database file was lost) and `medic_store_commit_failures_total` (faulted writes since
 * start). Read from the store's health at scrape time. Alert: MedicStoreDown
 * (examples/prometheus/medic-alerts.yml).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { StoreHealth } from '../store/health.js';

export function registerStoreMetrics(registry: Registry, health: StoreHealth): void {
  new Gauge({
    name: 'medic_store_up',
    help: 'Whether the store takes durable writes: 1 up, 0 failing (disk full, I/O error, read-only) or lost.',
    registers: [registry],
    collect() {
      this.set(health.status().up ? 1 : 0);
    },
  });
  let reported = 0;
  new Counter({
    name: 'medic_store_commit_failures_total',
    help: 'Store writes (decision commits, events, heartbeats) that failed because of the store itself.',
    registers: [registry],
    collect() {
      const failures = health.status().failures;
      if (failures > reported) this.inc(failures - reported);
      reported = failures;
    },
  });
}
