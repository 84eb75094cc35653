/**
 * What medic knows about one systemd unit: the properties both detection paths (D-Bus
 * signals, `systemctl show` polling) read, as one snapshot. src/watchdog/unit-status.ts turns
 * two consecutive snapshots into inputs for decide().
 */
export interface UnitStatus {
  loadState: string;
  activeState: string;
  subState: string;
  /** Service `Result` (success, exit-code, signal, core-dump, timeout, ...). */
  result: string;
  /** CLD_* code of the last main-process exit: 1 exited, 2 killed, 3 dumped; 0 = none yet. */
  execMainCode: number;
  /** Exit status (code 1) or signal number (codes 2, 3). */
  execMainStatus: number;
  /** Realtime µs since the epoch when the current/last main process started; 0 = never. */
  execMainStartUs: number;
  /** Monotonic µs of the last main-process exit; identifies one exit. 0 = none yet. */
  execMainExitMono: number;
  /** Realtime µs since the epoch of that exit (0 = none yet); recorded with the crash. */
  execMainExitUs: number;
  /** Restarts systemd did by itself (`Restart=`). */
  nRestarts: number;
  /** Changes on every start of the unit (hex); '' when never started. */
  invocationId: string;
  /** The unit's `Restart=` setting (no, on-failure, always, ...). */
  restart: string;
}
