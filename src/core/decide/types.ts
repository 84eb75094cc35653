import type { Input } from '../types.js';

/**
 * Inputs whose meaning depends on the state (commands, external restarts and exit code 0 are
 * handled once in commands.ts). `exited` here always has a non-zero code.
 */
export type StateInput = Extract<
  Input,
  { type: 'probe_ok' | 'probe_failed' | 'exited' | 'restart_succeeded' | 'restart_failed' | 'tick' }
>;
