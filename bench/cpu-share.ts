/**
 * Where a bench section's CPU went, from /proc: the machine's busy time (all cores, /proc/stat),
 * one child process's (/proc/PID/stat utime+stime) and this process's (process.cpuUsage), as CPU
 * µs per unit of work. "rest" is everything else that ran meanwhile (PostgreSQL's backends on a
 * quiet machine, other users' work on a shared one). Linux only; clock ticks are 10 ms.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICK_US = 10_000;

export interface CpuSnapshot {
  machineBusyUs: number;
  childUs: number;
  selfUs: number;
}

function machineBusyUs(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: busy = all but idle and iowait
  const [user, nice, system, , , irq, softirq, steal] = fields;
  return (user! + nice! + system! + irq! + softirq! + (steal ?? 0)) * TICK_US;
}

function processUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[11], fields[12] are utime, stime (14th and 15th of the full line)
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}

export function cpuSnapshot(childPid: number | undefined): CpuSnapshot {
  const self = process.cpuUsage();
  return {
    machineBusyUs: machineBusyUs(),
    childUs: childPid === undefined ? 0 : processUs(childPid),
    selfUs: self.user + self.system,
  };
}

/** CPU µs per unit between two snapshots: the child, this process, and the rest of the machine. */
export function cpuPerUnit(a: CpuSnapshot, b: CpuSnapshot, units: number) {
  const child = b.childUs - a.childUs;
  const self = b.selfUs - a.selfUs;
  const rest = b.machineBusyUs - a.machineBusyUs - child - self;
  const per = (us: number) => Math.round((10 * us) / units) / 10;
  return { child: per(child), self: per(self), rest: per(rest) };
}

/** CPU µs of process `pid` (utime + stime), 0 once it is gone. */
export function pidUs(pid: number): number {
  try {
    return processUs(pid);
  } catch {
    return 0;
  }
}

/**
 * CPU µs of every live child of `ppid` (e.g. a PostgreSQL postmaster's backends), by pid. A child
 * that exits between two readings loses its time since the first (short-lived workers).
 */
export function childrenUs(ppid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[1] is the parent pid (4th of the full line)
      if (Number(fields[1]) === ppid)
        out.set(Number(name), (Number(fields[11]) + Number(fields[12])) * TICK_US);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Machine-wide busy CPU µs (all cores). */
export const machineUs = machineBusyUs;
