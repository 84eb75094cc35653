/**
 * Who this process is, in terms that let another process on the same machine decide exactly
 * whether it is still alive: pid + boot id + pid namespace + the process's start time (so a
 * reused pid is not mistaken for the holder). Read from /proc (Linux); elsewhere the fields are
 * empty and liveness falls back to the heartbeat's age.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

export interface InstanceIdentity {
  pid: number;
  host: string;
  bootId: string;
  pidNs: string;
  procStart: string;
}

export interface InstanceRow extends InstanceIdentity {
  dev: string;
  ino: string;
  startedAt: number;
  heartbeatAt: number;
}

const read = (fn: () => string): string => {
  try {
    return fn().trim();
  } catch {
    return '';
  }
};

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), '' when no such process. */
export function procStartTime(pid: number): string {
  const stat = read(() => readFileSync(`/proc/${pid}/stat`, 'utf8'));
  // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return stat ? (rest[19] ?? '') : '';
}

export function selfIdentity(): InstanceIdentity {
  return {
    pid: process.pid,
    host: hostname(),
    bootId: read(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8')),
    pidNs: read(() => readlinkSync('/proc/self/ns/pid')),
    procStart: procStartTime(process.pid),
  };
}

/**
 * Whether the recorded holder still runs. Same host, boot and pid namespace: exactly (the pid
 * exists with the recorded start time). Same host after a reboot: dead. Otherwise (another host
 * on a shared filesystem, another pid namespace): alive while its heartbeat is fresher than
 * `staleMs`.
 */
export function holderAlive(row: InstanceRow, self: InstanceIdentity, now: number, staleMs: number): boolean {
  const sameHost = row.host === self.host;
  if (sameHost && row.bootId && row.bootId === self.bootId && row.pidNs === self.pidNs && row.procStart) {
    return procStartTime(row.pid) === row.procStart;
  }
  if (sameHost && row.bootId && self.bootId && row.bootId !== self.bootId) return false;
  return now - row.heartbeatAt < staleMs;
}
