/**
 * The agent's node name: `Service.id` is `<node>/<service>`, stable and globally unique for
 * normalised client caches (Apollo, urql, Relay), and the same on the agent and the fleet hub,
 * because the host is part of it from the start. The node is MEDIC_NODE_NAME (ApiContext.node),
 * default this host's name.
 */
import { hostname } from 'node:os';

/** This host's name, read once. */
export const LOCAL_NODE = hostname();

/** This agent's node name. */
export const localNode = (ctx: { node?: string }): string => ctx.node ?? LOCAL_NODE;

/**
 * True when a `node` argument addresses this agent: absent, or this node's name. Every
 * service-addressed field takes `node` so one query works on the agent and the hub; an agent
 * answers for itself only.
 */
export const isLocal = (ctx: { node?: string }, node: string | null | undefined): boolean =>
  node === null || node === undefined || node === localNode(ctx);

export function serviceId(name: string, node: string = LOCAL_NODE): string {
  return `${node}/${name}`;
}
