import {
  addressSlug,
  ClientHostname,
  type ClientIpv4Payload,
  type EventDraft,
  EventTypes,
} from '@routerd/plugin-sdk';
import type { Episode, PresenceChange } from './tracker.js';

/**
 * Event ids. One presence episode (a client with one MAC, from the moment it appeared) is one observed
 * event: `arp.<domain>.<a-b-c-d>.<episode start, ms epoch>`. A refresh re-publishes that same id with a
 * later `expiresAt` — the host store takes "same id, later expiresAt" as a TTL refresh (protocol R-P2), so
 * refreshes never add events. The end of the episode is `<that id>.expired`. A new episode (the client came
 * back after being reported absent, changed MAC, or the observer restarted) gets a new id; every event about
 * the address shares the dedupeKey `<domain>/<address>`.
 */
export function observedEventId(ep: Pick<Episode, 'domain' | 'address' | 'startedAt'>): string {
  return `arp.${ep.domain}.${addressSlug(ep.address)}.${ep.startedAt}`;
}

export function expiredEventId(ep: Pick<Episode, 'domain' | 'address' | 'startedAt'>): string {
  return `${observedEventId(ep)}.expired`;
}

export function dedupeKey(ep: Pick<Episode, 'domain' | 'address'>): string {
  return `${ep.domain}/${ep.address}`;
}

function payload(ep: Readonly<Episode>, ownerSide: string): ClientIpv4Payload {
  const p: ClientIpv4Payload = {
    address: `${ep.address}/32`,
    domain: ep.domain,
    ownerSide,
    source: ep.source,
  };
  if (ep.mac !== undefined) p.mac = ep.mac;
  if (ep.interface !== undefined) p.interface = ep.interface;
  // A lease file's name that is not a hostname (ISC keeps escaped octets) is left out: a payload the host
  // would refuse would cost the observation itself.
  if (ep.hostname !== undefined && ClientHostname.allows(ep.hostname)) p.hostname = ep.hostname;
  return p;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The draft `events/publish` carries for a presence change. */
export function toDraft(change: PresenceChange, ownerSide: string, ttlMs: number): EventDraft {
  const ep = change.episode;
  const common = { subject: `${ep.address}/32`, dedupeKey: dedupeKey(ep), payload: payload(ep, ownerSide) };
  if (change.kind === 'expired') {
    return {
      id: expiredEventId(ep),
      type: EventTypes.clientIpv4Expired,
      ...common,
      observedAt: iso(change.at),
      expiresAt: iso(change.at + ttlMs),
    };
  }
  // observedAt stays the episode start, so a refresh is byte-identical but for expiresAt.
  return {
    id: observedEventId(ep),
    type: EventTypes.clientIpv4Observed,
    ...common,
    observedAt: iso(ep.startedAt),
    expiresAt: iso(ep.expiresAt),
  };
}
