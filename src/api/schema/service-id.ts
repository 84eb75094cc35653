/**
 * `Service.id`: a stable, globally unique id for normalised client caches (Apollo, urql, Relay):
 * `<node>/<service>`, where the node is this host's name. The same service keeps the same id
 * across restarts of medic, and the fleet hub (which shows many hosts in one schema) gives the
 * same id as the agent, because the host is part of it from the start.
 */
import { hostname } from 'node:os';

/** This host's name, read once. */
export const LOCAL_NODE = hostname();

export function serviceId(name: string, node: string = LOCAL_NODE): string {
  return `${node}/${name}`;
}
