/**
 * What a CLI command may touch: its arguments, output streams and the environment source.
 * Commands return an exit code instead of calling process.exit, so tests run them in-process.
 * Exit codes across medic: 0 ok, 1 a finding (e.g. drift), 2 invalid input or configuration.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { Clock } from '../core/clock.js';

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  /** Environment source (defaults to process.env in main). Only config/env.ts interprets it. */
  env: Record<string, string | undefined>;
  cwd: string;
  /** medic's one clock (main passes the system clock; tests may pass a SimulatedClock). */
  clock: Clock;
  /** Ends long-running commands (`events --follow`); default: SIGINT/SIGTERM. */
  signal?: AbortSignal;
}

export type Command = (args: string[], io: CliIo) => Promise<number>;

export const EXIT_OK = 0;
export const EXIT_FINDING = 1;
export const EXIT_INVALID = 2;

export class UsageError extends Error {
  readonly code = 'USAGE';
}

/** An expected failure of the environment (e.g. the address cannot be bound): one message, exit 2. */
export class EnvironmentError extends Error {
  readonly code = 'ENVIRONMENT';
}

/** node:util parseArgs with strict checking; unknown flags raise UsageError. */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Refuses positional arguments beyond the first `max` (e.g. `medic serve foo`). */
export function noExtraArgs(positionals: string[], max = 0): void {
  const extra = positionals.slice(max);
  if (extra.length > 0)
    throw new UsageError(`unexpected argument${extra.length > 1 ? 's' : ''}: ${extra.join(' ')}`);
}

export function writeLine(stream: NodeJS.WritableStream, line: string): void {
  stream.write(`${line}\n`);
}
