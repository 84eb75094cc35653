/**
 * What the systemd readers need from a D-Bus connection: one method call. Any connection to the
 * manager fits (the watchdog's, or one opened for a CLI command with `openManager`).
 */
export {
  MANAGER_IFACE,
  MANAGER_PATH,
  PROPS_IFACE,
  SYSTEMD_DEST,
} from './connection.js';

export interface DbusCaller {
  /** A method call; resolves with the reply body, rejects on an error reply or a timeout. */
  call(
    dest: string,
    path: string,
    iface: string,
    member: string,
    signature: string,
    body: unknown[],
  ): Promise<unknown[]>;
}
