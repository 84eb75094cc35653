/**
 * What the budget tests with real `medic serve` agents share (budget-storm-agents,
 * budget-storm-redenied; the polling also budget-gave-up, budget-lost-grant): a poll that fails at
 * once when an agent died, the flag-file "dependency" service, and finding its Python processes.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentProcess } from './agent-process.js';

/**
 * Polls `cond` every `everyMs` until it returns a value; fails with `what` after `ms`, or at once
 * (with its output) when one of `agents` has exited.
 */
export async function untilAgents<T>(
  agents: readonly AgentProcess[],
  cond: () => Promise<T | null | undefined | false>,
  ms: number,
  what: string,
  everyMs = 100,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const dead = agents.find((a) => a.child.exitCode !== null);
    if (dead)
      throw new Error(`an agent exited (${dead.child.exitCode}):\n${dead.child.output().slice(-3000)}`);
    const v = await cond();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Writes `service.py` in `dir`: run as `python service.py FLAG MARK`, it runs while FLAG exists and
 * exits 1 once it is gone (the shared dependency is down). Returns its path.
 */
export function flagService(dir: string): string {
  const script = join(dir, 'service.py');
  writeFileSync(
    script,
    [
      'import os, sys, time',
      'flag = sys.argv[1]',
      'while os.path.exists(flag):',
      '    time.sleep(0.02)',
      'sys.exit(1)',
      '',
    ].join('\n'),
  );
  return script;
}

/** The pids of the processes whose command line carries `mark`. */
export function processesMarked(mark: string): string[] {
  return readdirSync('/proc').filter((d) => {
    if (!/^\d+$/.test(d)) return false;
    try {
      return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(mark);
    } catch {
      return false; // gone meanwhile
    }
  });
}
