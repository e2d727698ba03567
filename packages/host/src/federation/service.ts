import type { Server } from 'node:http';
import { type PeerStateName, PeerStateNames } from '@routerd/host-wire';
import { type Event, parseDuration } from '@routerd/plugin-sdk';
import type { Database } from 'better-sqlite3';
import { errorFields } from '../background.js';
import { type Clock, isoAt } from '../clock.js';
import type { EventGroup, EventPeer, FederationConfig } from '../config/index.js';
import { matchesTypesAndSubjects } from '../events/type-pattern.js';
import { LogThrottle } from '../log-throttle.js';
import type { Metrics } from '../metrics.js';
import type { DeliveryStore } from '../store/deliveries.js';
import type { EventStore, InsertOutcome } from '../store/events.js';
import type { AuthRefusalCause } from './auth-refusal.js';
import { ClockSkewTracker } from './clock-skew.js';
import { probeHealth } from './health-probe.js';
import { PeerWorker, type ProbeReport } from './outbox.js';
import { PeerClient } from './peer-client.js';
import { type PeerProbeResult, type ProbeOptions, probePeer } from './probe-client.js';
import { createReceiverApp, listenReceiver, type ReceiveOutcome, type RequestRefused } from './receiver.js';
import { RefusedRequests, UNKNOWN_SENDER } from './refused-requests.js';
import { loadSecretFile } from './secrets.js';
import type { SigningKey } from './signing.js';

export type FederationLog = (
  level: 'info' | 'warn' | 'error',
  msg: string,
  fields?: Record<string, unknown>,
) => void;

export interface FederationOptions {
  db: Database;
  events: EventStore;
  deliveries: DeliveryStore;
  clock: Clock;
  metrics: Metrics;
  log: FederationLog;
  /** The config in force before apply(): events written before the network starts still get their delivery rows. */
  config?: FederationConfig;
}

/** Load every key the config names; a missing or group/other-readable file stops the start (or the reload). */
export function loadKeys(config: FederationConfig): Map<string, readonly SigningKey[]> {
  const files = new Map<string, readonly SigningKey[]>();
  const load = (path: string) => {
    if (!files.has(path)) files.set(path, loadSecretFile(path));
  };
  for (const g of config.groups) if (g.resource.spec.auth) load(g.resource.spec.auth.secretFile);
  for (const p of config.peers) if (p.resource.spec.auth) load(p.resource.spec.auth.secretFile);
  return files;
}

/**
 * Federation for every EventGroup of the config: the receiver on each group's listen address and one
 * outbox worker per EventPeer (retention is retention/service.ts's). Delivery rows are written inside the event insert
 * transaction; workers are kicked right after the commit (no polling).
 */
export class Federation {
  private readonly deliveries: DeliveryStore;
  /** Skew of authenticated senders' clocks, per group (routerctl doctor federation). */
  readonly clockSkew = new ClockSkewTracker();
  /** Requests the receivers refused, per claimed sender and reason (routerctl doctor federation). */
  readonly refusedRequests = new RefusedRequests();
  /** What the authenticated probe of each peer (with a key) needs, by EventPeer name. */
  private probeTargets = new Map<string, Omit<ProbeOptions, 'now'>>();
  private workers = new Map<string, PeerWorker>();
  private clients = new Map<string, PeerClient>();
  /** The receivers, one per group that listens. */
  private servers: Server[] = [];
  private config!: FederationConfig;
  private unhook: (() => void)[] = [];

  constructor(private readonly o: FederationOptions) {
    this.deliveries = o.deliveries;
    if (o.config) this.config = o.config;
    this.unhook.push(o.events.withinInsert((changed, now) => this.enqueue(changed, now)));
    this.unhook.push(o.events.onCommitted((committed) => this.kick(committed)));
    o.metrics.sources.pending = () =>
      [...this.workers.keys()].map((peer) => ({ peer, count: this.deliveries.pendingCount(peer) }));
    o.metrics.sources.peerStates = () => this.peerStates();
  }

  /** Start, or apply a new config (SIGHUP). Keys are loaded first: a bad key file leaves the old config running. */
  async apply(config: FederationConfig): Promise<void> {
    const keyFiles = loadKeys(config);
    await this.stopNetwork();
    this.config = config;
    for (const { resource: group } of config.groups) {
      const peers = config.peers
        .map((p) => p.resource)
        .filter((p) => p.spec.groupRef === group.metadata.name);
      const groupKeys = group.spec.auth ? keyFiles.get(group.spec.auth.secretFile) : undefined;
      const peerKeys = new Map<string, readonly SigningKey[]>();
      for (const p of peers) {
        const keys = p.spec.auth ? keyFiles.get(p.spec.auth.secretFile) : groupKeys;
        if (keys) peerKeys.set(p.spec.nodeName, keys);
      }
      for (const peer of peers) this.startWorker(group, peer, peerKeys);
      if (group.spec.listen) this.servers.push(await this.listen(group, peerKeys));
    }
    // Whatever was pending before a restart (or a reload) resumes now, and a peer that was backing off or
    // refusing us is probed at once rather than after a backoff of up to maxDelay saved before the restart.
    for (const w of this.workers.values())
      void w.probeNow().catch((err: unknown) =>
        this.o.log('error', 'probing a peer after start or reload failed', {
          peer: w.peer,
          ...errorFields(err),
        }),
      );
  }

  private startWorker(
    group: EventGroup,
    peer: EventPeer,
    peerKeys: Map<string, readonly SigningKey[]>,
  ): void {
    const keys = peerKeys.get(peer.spec.nodeName);
    if (!keys) {
      this.o.log('warn', 'peer has no key: nothing is sent to it until one is configured', {
        peer: peer.metadata.name,
      });
      return;
    }
    const client = new PeerClient({
      endpoint: peer.spec.endpoint,
      node: group.spec.nodeName,
      keys: () => keys,
      maxSockets: 4,
      clock: this.o.clock,
    });
    const saved = this.deliveries.peerState(peer.metadata.name);
    const worker = new PeerWorker({
      peer: peer.metadata.name,
      client,
      store: this.deliveries,
      clock: this.o.clock,
      metrics: this.o.metrics,
      backoff: {
        baseDelayMs: parseDuration(peer.spec.retry.baseDelay),
        maxDelayMs: parseDuration(peer.spec.retry.maxDelay),
        jitter: 0.2,
      },
      replayWindowMs: parseDuration(group.spec.replayWindow),
      health: () => probeHealth(peer.spec.endpoint),
      ...(saved && PeerStateNames.includes(saved.state)
        ? { restore: { state: saved.state, consecutiveFailures: saved.consecutiveFailures } }
        : {}),
      log: (level, msg, fields) => this.o.log(level, msg, fields),
    });
    this.workers.set(peer.metadata.name, worker);
    this.clients.set(peer.metadata.name, client);
    this.probeTargets.set(peer.metadata.name, {
      endpoint: peer.spec.endpoint,
      node: group.spec.nodeName,
      peerNode: peer.spec.nodeName,
      keys,
      replayWindowMs: parseDuration(group.spec.replayWindow),
    });
  }

  private async listen(group: EventGroup, peerKeys: Map<string, readonly SigningKey[]>): Promise<Server> {
    const listen = group.spec.listen!;
    const groupName = group.metadata.name;
    // Refusals are counted per claimed sender: a configured peer's node name, or one bucket for the rest.
    const peerNodes = new Set(
      this.config.peers
        .filter((p) => p.resource.spec.groupRef === groupName)
        .map((p) => p.resource.spec.nodeName),
    );
    const app = createReceiverApp({
      group: groupName,
      node: group.spec.nodeName,
      replayWindowMs: parseDuration(group.spec.replayWindow),
      bodyLimitBytes: listen.maxBodyBytes,
      keysFor: (node) => peerKeys.get(node),
      clock: this.o.clock,
      store: {
        webhookSeen: (sender, id) => this.deliveries.webhookSeen(sender, id),
        commitReceived: (sender, id, events) => this.commitReceived(group, sender, id, events),
      },
      metrics: {
        refused: (reason) => this.o.metrics.receiverRefused.inc({ reason }),
        replayed: () => this.o.metrics.receiverAccepted.inc({ outcome: 'replay' }),
        received: (out) => {
          this.o.metrics.receiverAccepted.inc({ outcome: 'accepted' }, out.accepted.length);
          this.o.metrics.receiverAccepted.inc({ outcome: 'duplicate' }, out.duplicates.length);
          this.o.metrics.receiverAccepted.inc({ outcome: 'rejected' }, out.rejected.length);
          for (const r of out.rejected) this.o.metrics.receiverRejected.inc({ reason: r.reason });
        },
      },
      onRefused: (r) => this.requestRefused(groupName, peerNodes, r),
      onError: (err, sender) =>
        this.o.log('error', 'storing a received batch failed: answered 500, the sender will retry', {
          ...errorFields(err),
          sender,
        }),
      onAuthenticated: (sender, ts) => {
        const now = this.o.clock.now();
        this.clockSkew.record(groupName, sender, ts, now);
        this.refusedRequests.authenticated(groupName, sender, now);
      },
    });
    // Connection-level refusals cost an outsider nothing to repeat: counted each, logged at most once a minute.
    const throttle = new LogThrottle(this.o.clock, 60_000);
    const server = await listenReceiver(app, listen, (reason, detail) => {
      this.o.metrics.receiverRefused.inc({ reason });
      const suppressed = throttle.take();
      if (suppressed !== undefined)
        this.o.log('warn', reason === 'connection-limit' ? 'connection refused' : 'request refused', {
          group: group.metadata.name,
          reason,
          detail,
          suppressed,
        });
    });
    this.o.log('info', 'receiver listening', {
      group: group.metadata.name,
      address: listen.address,
      port: listen.port,
    });
    return server;
  }

  /**
   * A refused request: logged, counted per claimed sender, and — when its signature check failed on a
   * well-formed timestamp — its skew measured (unauthenticated), so a clock beyond the replay window shows
   * on this side too and is named as the clock, not the key.
   */
  private requestRefused(group: string, peerNodes: ReadonlySet<string>, r: RequestRefused): void {
    const now = this.o.clock.now();
    const known = r.sender !== undefined && peerNodes.has(r.sender);
    const sender = known ? r.sender! : UNKNOWN_SENDER;
    this.refusedRequests.record(
      {
        group,
        sender,
        reason: r.reason,
        detail: r.detail,
        ...(known || r.sender === undefined ? {} : { claimed: r.sender }),
      },
      now,
    );
    if (known && r.timestampSeconds !== undefined)
      this.clockSkew.record(group, sender, r.timestampSeconds, now, false);
    this.o.log('warn', 'request refused', {
      reason: r.reason,
      detail: r.detail,
      sender: r.sender?.slice(0, 100),
      ...(r.reason === 'timestamp' ? { cause: 'clock' } : r.reason === 'signature' ? { cause: 'key' } : {}),
    });
  }

  /**
   * A received batch and its webhook-id commit together. Per event, before anything is stored: an
   * expired event is rejected; an event stamped further ahead of our clock than the replay window is
   * rejected (a peer clock years ahead would otherwise pin a claim until then); a peer's expiry is capped
   * at receipt + maxEventTtl; an id that belongs to another event is rejected by the store (id-conflict).
   */
  private commitReceived(
    group: EventGroup,
    sender: string,
    webhookId: string,
    events: Event[],
  ): ReceiveOutcome {
    const now = this.o.clock.now();
    const out: ReceiveOutcome = { accepted: [], duplicates: [], rejected: [] };
    const latestTime = now + parseDuration(group.spec.replayWindow);
    const latestExpiry = now + parseDuration(group.spec.maxEventTtl);
    const live: Event[] = [];
    for (const e of events) {
      if (e.expiresAt !== undefined && Date.parse(e.expiresAt) <= now) {
        out.rejected.push({ id: e.id, reason: 'expired' });
      } else if (Date.parse(e.observedAt) > latestTime) {
        this.o.log(
          'warn',
          "refused an event stamped ahead of this node's clock by more than the replay window",
          {
            id: e.id,
            sender,
            time: e.observedAt,
            replayWindow: group.spec.replayWindow,
          },
        );
        out.rejected.push({ id: e.id, reason: 'time-in-future' });
      } else {
        const capped = e.expiresAt !== undefined && Date.parse(e.expiresAt) > latestExpiry;
        live.push(capped ? { ...e, expiresAt: isoAt(latestExpiry) } : e);
      }
    }
    this.o.db.transaction(() => {
      for (const o of this.o.events.insert(live)) {
        if (o.status === 'conflict') out.rejected.push({ id: o.event.id, reason: 'id-conflict' });
        else (o.status === 'duplicate' ? out.duplicates : out.accepted).push(o.event.id);
      }
      // A replay is answered "all duplicates" without looking at the events again: only true when none was
      // rejected. A batch with a rejection (time-in-future, say) is evaluated afresh when sent again —
      // what was stored is a duplicate then, and what was early may be on time.
      if (out.rejected.length === 0) this.deliveries.recordWebhook(sender, webhookId, now);
    })();
    return out;
  }

  /** Inside the insert transaction: delivery rows for events this node originates (received ones are never re-forwarded). */
  private enqueue(changed: InsertOutcome[], now: number): void {
    if (!this.config) return;
    for (const { event, status, seq } of changed) {
      const group = this.config.groups.find((g) => g.resource.metadata.name === event.group)?.resource;
      if (!group || event.sourceNode !== group.spec.nodeName) continue;
      if (event.expiresAt !== undefined && Date.parse(event.expiresAt) <= now) continue;
      const peers = this.config.peers
        .map((p) => p.resource)
        .filter((p) => p.spec.groupRef === group.metadata.name && this.workers.has(p.metadata.name))
        .filter((p) => matchesTypesAndSubjects(event, p.spec.push.types, p.spec.push.subjectPrefixes))
        .map((p) => p.metadata.name);
      this.deliveries.enqueue(event.id, peers, now, status === 'refreshed', seq);
    }
  }

  private kick(committed: InsertOutcome[]): void {
    if (committed.length === 0) return;
    // The pending gauge is computed at scrape time (metrics.sources.pending), not on every commit.
    for (const w of this.workers.values()) w.kick();
  }

  redeliver(eventId: string, peer?: string): number {
    const n = this.deliveries.redeliver(eventId, this.o.clock.now(), peer);
    for (const w of this.workers.values()) if (!peer || w.peer === peer) w.kick();
    return n;
  }

  /**
   * Every failed delivery matching back to pending, sent now (`routerctl federation redeliver --status
   * failed [--peer P] [--since T]`). Returns how many rows.
   */
  redeliverFailed(filter: { peer?: string; sinceMs?: number }): number {
    const n = this.deliveries.redeliverFailed(filter, this.o.clock.now());
    for (const w of this.workers.values()) if (!filter.peer || w.peer === filter.peer) w.kick();
    return n;
  }

  /** The authenticated probe of one peer (the doctor's peer-probe); undefined when it has no key. */
  signedProbe(peer: string): Promise<PeerProbeResult> | undefined {
    const target = this.probeTargets.get(peer);
    return target && probePeer({ ...target, now: () => this.o.clock.now() });
  }

  /** Probe one peer now (`routerctl federation peers retry P`); undefined when it has no worker (no key). */
  retryPeer(peer: string): Promise<ProbeReport> | undefined {
    return this.workers.get(peer)?.probeNow();
  }

  workerStates(): { peer: string; state: PeerStateName; refusal?: AuthRefusalCause }[] {
    return [...this.workers.values()].map((w) => ({
      peer: w.peer,
      state: w.state,
      ...(w.state === 'auth-refused' && w.refusal ? { refusal: w.refusal.cause } : {}),
    }));
  }

  /** Every configured peer's state, `no-key` for one without a worker: the routerd_peer_state gauge. */
  peerStates(): { peer: string; state: PeerStateName | 'no-key' }[] {
    const live = new Map([...this.workers.values()].map((w) => [w.peer, w.state]));
    return this.peerNames().map((peer) => ({ peer, state: live.get(peer) ?? 'no-key' }));
  }

  peerNames(): string[] {
    return this.config ? this.config.peers.map((p) => p.resource.metadata.name) : [];
  }

  private async stopNetwork(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.stop()));
    for (const c of this.clients.values()) c.close();
    this.workers.clear();
    this.clients.clear();
    this.probeTargets.clear();
    await Promise.all(
      this.servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
    this.servers = [];
  }

  async stop(): Promise<void> {
    await this.stopNetwork();
    for (const u of this.unhook) u();
  }
}
