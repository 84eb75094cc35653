/**
 * Which observations carry no information for the state machine.
 *
 * A passing probe of a service that is healthy, with no failure counted and its health clock
 * already running, decides `noop` and leaves the state as it was (the lazy backoff decay of
 * `settle()` is applied by the next real input and by views anyway). Such a heartbeat is not a
 * decision: the watchdog drops it instead of writing an audit event every probe interval per
 * service (500 services at 10 s would be 4M events a day). test/core/observe.test.ts proves the
 * claim against decide() for random states.
 */
import type { Input, ServiceState } from './types.js';

export function isHeartbeat(state: ServiceState, input: Input): boolean {
  return (
    input.type === 'probe_ok' &&
    state.tag === 'healthy' &&
    state.failures === 0 &&
    state.healthySince !== null
  );
}
