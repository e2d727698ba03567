import { type PeerStateName, PeerStateNames } from '@routerd/host-wire';
import { type Event, parseDuration } from '@routerd/plugin-sdk';
import { errorFields } from '../background.js';
import { type Clock, isoAt } from '../clock.js';
import type { EventGroup, EventPeer, FederationConfig } from '../config/index.js';
import { matchesTypesAndSubjects } from '../events/type-pattern.js';
import { LogThrottle } from '../log-throttle.js';
import type { Metrics } from '../metrics.js';
import type { DeliveryStore, OutboxEntry } from '../store/deliveries.js';
import type { EventStore, InsertOutcome } from '../store/events.js';
import type { AuthRefusalCause } from './auth-refusal.js';
import { ClockSkewTracker } from './clock-skew.js';
import { type ProbeResult, probeHealth } from './health-probe.js';
import { PeerWorker, type PeerWorkerOptions, type ProbeReport } from './outbox.js';
import { PeerClient } from './peer-client.js';
import { loadPeerTls, type PeerTlsContext } from './peer-tls.js';
import { type PeerProbeResult, type ProbeOptions, probePeer } from './probe-client.js';
import { createReceiverHandler, type ReceiveOutcome, type RequestRefused } from './receiver.js';
import { type ListenRefused, ReceiverListener } from './receiver-listener.js';
import { loadReceiverTls, type ReceiverTlsContext } from './receiver-tls.js';
import { RefusedRequests, UNKNOWN_SENDER } from './refused-requests.js';
import { loadPrivateKeyFile, loadPublicKeyFile, loadSecretFile } from './secrets.js';
import type { Ed25519PrivateKey, SigningKey, SignKey, VerifyKey } from './signing.js';
import type { VerifiedKey } from './verified-key.js';

export type FederationLog = (
  level: 'info' | 'warn' | 'error',
  msg: string,
  fields?: Record<string, unknown>,
) => void;

export interface FederationOptions {
  events: EventStore;
  deliveries: DeliveryStore;
  clock: Clock;
  metrics: Metrics;
  log: FederationLog;
  /** The config in force before apply(): events written before the network starts still get their delivery rows. */
  config?: FederationConfig;
  /** Each peer's acknowledged deliveries, once recorded (PeerWorkerOptions.onDelivered). */
  onDelivered?: PeerWorkerOptions['onDelivered'];
}

type LoadedKey = SignKey | VerifyKey;

/**
 * Load every key file the config names, by the field that names it (a shared secret, this node's Ed25519
 * private key, a peer's public keys); a missing, malformed or (for a private key) group/other-readable
 * file stops the start (or the reload).
 */
export function loadKeys(config: FederationConfig): Map<string, readonly LoadedKey[]> {
  const files = new Map<string, readonly LoadedKey[]>();
  const load = (path: string, read: (path: string) => readonly LoadedKey[]) => {
    if (!files.has(path)) files.set(path, read(path));
  };
  for (const { resource: g } of config.groups) {
    const auth = g.spec.auth;
    if (auth?.mode === 'hmac') load(auth.secretFile, loadSecretFile);
    else if (auth?.mode === 'ed25519') load(auth.privateKeyFile, loadPrivateKeyFile);
  }
  for (const { resource: p } of config.peers) {
    const auth = p.spec.auth;
    if (auth && 'secretFile' in auth) load(auth.secretFile, loadSecretFile);
    else if (auth) load(auth.publicKeyFile, loadPublicKeyFile);
  }
  return files;
}

/** The TLS files of every listen.tls (by group) and EventPeer.spec.tls (by peer), read. */
export interface TlsFiles {
  receivers: Map<string, ReceiverTlsContext>;
  peers: Map<string, PeerTlsContext>;
}

export function loadTlsFiles(config: FederationConfig): TlsFiles {
  const receivers = new Map<string, ReceiverTlsContext>();
  const peers = new Map<string, PeerTlsContext>();
  for (const { resource: g } of config.groups)
    if (g.spec.listen?.tls)
      receivers.set(g.metadata.name, loadReceiverTls(g.spec.listen.tls, `EventGroup/${g.metadata.name}`));
  for (const { resource: p } of config.peers)
    if (p.spec.tls) peers.set(p.metadata.name, loadPeerTls(p.spec.tls, `EventPeer/${p.metadata.name}`));
  return { receivers, peers };
}

/** Every file the federation reads (keys, TLS): what a start, a reload and `routerd-eventd check` check. */
export function loadFederationFiles(config: FederationConfig): {
  keys: Map<string, readonly LoadedKey[]>;
  tls: TlsFiles;
} {
  return { keys: loadKeys(config), tls: loadTlsFiles(config) };
}

const notAfterOf = (k: LoadedKey) =>
  'notAfter' in k && k.notAfter !== undefined ? k.notAfter : Number.POSITIVE_INFINITY;

/** One group as the outbox sees it: this node's name there, and the peers that get delivery rows. */
interface Route {
  nodeName: string;
  peers: EventPeer[];
}

/** Each group's route: its peers with a key (one without is sent nothing, see startWorker). */
function routesOf(config: FederationConfig, files: Map<string, readonly LoadedKey[]>): Map<string, Route> {
  const routes = new Map<string, Route>();
  for (const { resource: group } of config.groups) {
    const peers = config.peers.map((p) => p.resource).filter((p) => p.spec.groupRef === group.metadata.name);
    const { byNode } = peerAuths(group, peers, files);
    routes.set(group.metadata.name, {
      nodeName: group.spec.nodeName,
      peers: peers.filter((p) => byNode.has(p.spec.nodeName)),
    });
  }
  return routes;
}

/** What one peer is signed for and verified with. */
interface PeerAuth {
  sign: readonly SignKey[];
  verify: readonly VerifyKey[];
}

/**
 * Each peer's keys in one group: with hmac, its own secret or the group's, for both directions; with
 * ed25519, this node's private keys to sign and the peer's public keys to verify. A peer with neither has
 * no entry (nothing is sent to it, nothing from it accepted).
 */
function peerAuths(
  group: EventGroup,
  peers: readonly EventPeer[],
  files: Map<string, readonly LoadedKey[]>,
): { byNode: Map<string, PeerAuth>; own: readonly Ed25519PrivateKey[] } {
  const auth = group.spec.auth;
  const byNode = new Map<string, PeerAuth>();
  if (auth?.mode === 'ed25519') {
    const own = files.get(auth.privateKeyFile) as readonly Ed25519PrivateKey[];
    for (const p of peers) {
      const pa = p.spec.auth;
      const listed = pa && 'publicKeyFile' in pa ? files.get(pa.publicKeyFile) : undefined;
      // Longest-lived first: the key that verifies is then the one the sender should keep signing with.
      const verify = listed && [...listed].sort((a, b) => Math.sign(notAfterOf(b) - notAfterOf(a)) || 0);
      if (verify) byNode.set(p.spec.nodeName, { sign: own, verify });
    }
    return { byNode, own };
  }
  const groupKeys = auth ? (files.get(auth.secretFile) as readonly SigningKey[]) : undefined;
  for (const p of peers) {
    const pa = p.spec.auth;
    const keys = pa && 'secretFile' in pa ? (files.get(pa.secretFile) as readonly SigningKey[]) : groupKeys;
    if (keys) byNode.set(p.spec.nodeName, { sign: keys, verify: keys });
  }
  return { byNode, own: [] };
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
  /** The key that last verified each sender, by group and sender (the doctor's peer-key-rotation). */
  private readonly verified = new Map<string, VerifiedKey>();
  /** What the authenticated probe of each peer (with a key) needs, by EventPeer name. */
  private probeTargets = new Map<string, Omit<ProbeOptions, 'now'>>();
  private workers = new Map<string, PeerWorker>();
  private clients = new Map<string, PeerClient>();
  /** The receivers, by group: kept across reloads that keep their socket (receiver-listener.ts). */
  private listeners = new Map<string, ReceiverListener>();
  /** Each peer's TLS context, for the health probe (the doctor's and the worker's). */
  private peerTls = new Map<string, PeerTlsContext>();
  private config!: FederationConfig;
  /**
   * Per group: this node's name in it and the peers that get delivery rows (those with a key). Built once
   * per apply, not per event, and kept while a reload restarts the workers: an event emitted meanwhile
   * still gets its rows, and the new workers send them.
   */
  private routes = new Map<string, Route>();
  /** Peers that got delivery rows in the transaction being committed: only their workers are woken. */
  private readonly toKick = new Set<string>();
  private unhook: (() => void)[] = [];

  constructor(private readonly o: FederationOptions) {
    this.deliveries = o.deliveries;
    if (o.config) this.config = o.config;
    this.unhook.push(o.events.withinInsert((changed, now) => this.enqueue(changed, now)));
    this.unhook.push(o.events.onCommitted(() => this.kick()));
    o.metrics.sources.pending = () =>
      [...this.workers.keys()].map((peer) => ({ peer, count: this.deliveries.pendingCount(peer) }));
    o.metrics.sources.peerStates = () => this.peerStates();
  }

  /**
   * Start, or apply a new config (SIGHUP). Key and TLS files are read first: a bad one leaves the old
   * config running. A receiver whose socket stays the same is updated in place (no connection dropped).
   */
  async apply(config: FederationConfig): Promise<void> {
    const files = loadFederationFiles(config);
    const routes = routesOf(config, files.keys);
    await this.stopWorkers();
    this.config = config;
    this.routes = routes;
    this.peerTls = new Map(files.tls.peers);
    const listening = new Set<string>();
    for (const { resource: group } of config.groups) {
      const peers = config.peers
        .map((p) => p.resource)
        .filter((p) => p.spec.groupRef === group.metadata.name);
      const { byNode, own } = peerAuths(group, peers, files.keys);
      for (const peer of peers) this.startWorker(group, peer, byNode);
      if (group.spec.listen) {
        listening.add(group.metadata.name);
        await this.listen(group, byNode, own, files.tls.receivers.get(group.metadata.name));
      }
    }
    for (const [name, l] of this.listeners)
      if (!listening.has(name)) {
        this.listeners.delete(name);
        await l.close();
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

  private startWorker(group: EventGroup, peer: EventPeer, auths: Map<string, PeerAuth>): void {
    const auth = auths.get(peer.spec.nodeName);
    if (!auth) {
      this.o.log('warn', 'peer has no key: nothing is sent to it until one is configured', {
        peer: peer.metadata.name,
      });
      return;
    }
    const tls = this.peerTls.get(peer.metadata.name);
    const client = new PeerClient({
      endpoint: peer.spec.endpoint,
      node: group.spec.nodeName,
      keys: () => auth.sign,
      maxSockets: 4,
      clock: this.o.clock,
      ...(tls ? { tls } : {}),
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
      health: () => this.healthProbe(peer.metadata.name, peer.spec.endpoint),
      ...(saved && PeerStateNames.includes(saved.state)
        ? { restore: { state: saved.state, consecutiveFailures: saved.consecutiveFailures } }
        : {}),
      log: (level, msg, fields) => this.o.log(level, msg, fields),
      ...(this.o.onDelivered ? { onDelivered: this.o.onDelivered } : {}),
    });
    this.workers.set(peer.metadata.name, worker);
    this.clients.set(peer.metadata.name, client);
    this.probeTargets.set(peer.metadata.name, {
      endpoint: peer.spec.endpoint,
      node: group.spec.nodeName,
      peerNode: peer.spec.nodeName,
      keys: auth.sign,
      peerKeys: auth.verify,
      ...(tls ? { tls } : {}),
      replayWindowMs: parseDuration(group.spec.replayWindow),
    });
  }

  private async listen(
    group: EventGroup,
    auths: Map<string, PeerAuth>,
    own: readonly Ed25519PrivateKey[],
    tls: ReceiverTlsContext | undefined,
  ): Promise<void> {
    const listen = group.spec.listen!;
    const groupName = group.metadata.name;
    // Refusals are counted per claimed sender: a configured peer's node name, or one bucket for the rest.
    const peerNodes = new Set(
      this.config.peers
        .filter((p) => p.resource.spec.groupRef === groupName)
        .map((p) => p.resource.spec.nodeName),
    );
    const app = createReceiverHandler({
      group: groupName,
      node: group.spec.nodeName,
      replayWindowMs: parseDuration(group.spec.replayWindow),
      bodyLimitBytes: listen.maxBodyBytes,
      keysFor: (node) => auths.get(node)?.verify,
      ownKeys: () => own,
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
      onAuthenticated: (sender, ts, fingerprint) => {
        const now = this.o.clock.now();
        this.verified.set(`${groupName}\u0000${sender}`, { group: groupName, sender, fingerprint, at: now });
        this.clockSkew.record(groupName, sender, ts, now);
        this.refusedRequests.authenticated(groupName, sender, now);
      },
    });
    // Connection-level refusals cost an outsider nothing to repeat: counted each, logged at most once a minute.
    const throttle = new LogThrottle(this.o.clock, 60_000);
    const refused: ListenRefused = (reason, detail) => {
      this.o.metrics.receiverRefused.inc({ reason });
      const suppressed = throttle.take();
      if (suppressed !== undefined)
        this.o.log('warn', reason === 'connection-limit' ? 'connection refused' : 'request refused', {
          group: group.metadata.name,
          reason,
          detail,
          suppressed,
        });
    };
    const kept = this.listeners.get(groupName);
    if (kept?.keeps(listen, tls !== undefined)) {
      kept.update(app, refused, tls);
      return;
    }
    if (kept) {
      this.listeners.delete(groupName);
      await kept.close();
    }
    this.listeners.set(
      groupName,
      await ReceiverListener.open(app, listen, refused, tls, () => this.o.clock.now()),
    );
    this.o.log('info', 'receiver listening', {
      group: group.metadata.name,
      address: listen.address,
      port: listen.port,
      ...(tls ? { tls: true, clientAuth: tls.clientAuth !== undefined } : {}),
    });
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
    this.o.events.insert(live, {
      alongside: (outcomes) => {
        for (const o of outcomes) {
          if (o.status === 'conflict') out.rejected.push({ id: o.event.id, reason: 'id-conflict' });
          else (o.status === 'duplicate' ? out.duplicates : out.accepted).push(o.event.id);
        }
        // A replay is answered "all duplicates" without looking at the events again: only true when none
        // was rejected. A batch with a rejection (time-in-future, say) is evaluated afresh when sent
        // again — what was stored is a duplicate then, and what was early may be on time.
        if (out.rejected.length === 0) this.deliveries.recordWebhook(sender, webhookId, now);
      },
    });
    return out;
  }

  /** Inside the insert transaction: delivery rows for events this node originates (received ones are never re-forwarded). */
  private enqueue(changed: InsertOutcome[], now: number): void {
    if (this.routes.size === 0) return;
    const entries: OutboxEntry[] = [];
    for (const { event, status, seq } of changed) {
      const route = this.routes.get(event.group);
      if (!route || event.sourceNode !== route.nodeName) continue;
      if (event.expiresAt !== undefined && Date.parse(event.expiresAt) <= now) continue;
      const peers: string[] = [];
      for (const p of route.peers)
        if (matchesTypesAndSubjects(event, p.spec.push.types, p.spec.push.subjectPrefixes))
          peers.push(p.metadata.name);
      if (peers.length === 0) continue;
      entries.push({ id: event.id, seq, peers, refreshed: status === 'refreshed' });
      for (const peer of peers) this.toKick.add(peer);
    }
    this.deliveries.enqueueAll(entries, now);
  }

  /** After the commit: wake the workers of the peers that just got rows, and no other. */
  private kick(): void {
    // The pending gauge is computed at scrape time (metrics.sources.pending), not on every commit.
    for (const peer of this.toKick) this.workers.get(peer)?.kick();
    this.toKick.clear();
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

  verifiedKeys(): VerifiedKey[] {
    return [...this.verified.values()];
  }

  /** `GET /v1/health` of one peer, over its TLS settings when it has any (the doctor's peer-reachable). */
  healthProbe(peer: string, endpoint: string): Promise<ProbeResult> {
    const tls = this.peerTls.get(peer);
    return probeHealth(endpoint, 2000, tls && { ctx: tls, now: () => this.o.clock.now() });
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

  private async stopWorkers(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.stop()));
    for (const c of this.clients.values()) c.close();
    this.workers.clear();
    this.clients.clear();
    this.probeTargets.clear();
  }

  private async stopNetwork(): Promise<void> {
    await this.stopWorkers();
    await Promise.all([...this.listeners.values()].map((l) => l.close()));
    this.listeners.clear();
  }

  async stop(): Promise<void> {
    await this.stopNetwork();
    for (const u of this.unhook) u();
  }
}
