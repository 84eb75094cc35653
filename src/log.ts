/**
 * Structured JSON logs (pino) on stdout. One logger per process; modules take a child with
 * their own `component` field. `createLogger` is separate from the default so tests can
 * capture lines into a stream.
 */
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger };

export function createLogger(level = 'info', destination?: DestinationStream): Logger {
  const options = { level, base: { app: 'medic' }, timestamp: pino.stdTimeFunctions.isoTime };
  return destination ? pino(options, destination) : pino(options);
}
