/**
 * EventGroups whose nodeName a reload changes. A rename is allowed, but it is not free: the events this
 * node stored under its old name keep that name as their source (an event id belongs to its source), so
 * a peer that knows the node by its new name refuses them (wrong-source), and a peer that still lists the
 * old name in its EventPeer refuses everything the node now sends. The reload says so, once.
 */
import type { FederationConfig } from '../config/index.js';

export interface NodeRename {
  group: string;
  from: string;
  to: string;
}

export function renamedNodes(before: FederationConfig, after: FederationConfig): NodeRename[] {
  const previous = new Map(before.groups.map((g) => [g.resource.metadata.name, g.resource.spec.nodeName]));
  return after.groups.flatMap(({ resource: g }) => {
    const from = previous.get(g.metadata.name);
    return from !== undefined && from !== g.spec.nodeName
      ? [{ group: g.metadata.name, from, to: g.spec.nodeName }]
      : [];
  });
}

/** What a rename means for the peers, for the log line and the docs. */
export const renameConsequence = ({ from, to }: NodeRename) =>
  `events stored under ${from} keep that source: peers that know this node as ${to} refuse them (wrong-source) and they fail; a peer whose EventPeer still names ${from} refuses everything this node sends until it names ${to}`;
