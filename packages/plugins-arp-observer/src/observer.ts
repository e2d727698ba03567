import { readFile } from 'node:fs/promises';
import type { EventDraft, PublishResult } from '@routerd/plugin-sdk';
import type { Logger } from '@routerd/plugin-sdk/server';
import type { ObserverSettings } from './config.js';
import { ClientFilter } from './filters.js';
import { toDraft } from './presence/drafts.js';
import { type NeighbourSighting, type PresenceChange, PresenceTracker } from './presence/tracker.js';
import { Publisher } from './publisher.js';
import { runIp } from './sources/ip-command.js';
import type { LeaseServer } from './sources/leases/lease.js';
import { LeaseFileWatcher } from './sources/leases/lease-file-watcher.js';
import { type LeaseSource, leaseSourceFiles, readLeaseSource } from './sources/leases/lease-source.js';
import { NEIGH_SHOW_ARGS, parseNeighJson } from './sources/neigh-json.js';
import { NeighbourMonitor } from './sources/neigh-monitor.js';
import { lastHeardAt, type NeighbourEntry, neighbourEvidence } from './sources/neighbour-entry.js';
import { ADDR_SHOW_ARGS, parseOwnIdentity } from './sources/own-identity.js';
import type { ParseResult } from './sources/parse-result.js';
import { parseProcArp } from './sources/proc-arp.js';

const PROC_NET_ARP = '/proc/net/arp';
/** Before the first complete snapshot, retry quickly: nothing is published until one succeeds. */
const FIRST_SNAPSHOT_RETRY_MS = 2000;
/**
 * Gap-triggered resyncs start at most this often: a monitor that keeps printing lines we cannot read must
 * not turn into back-to-back full dumps of a large table.
 */
const MIN_RESYNC_SPACING_MS = 1000;
/**
 * A configured lease file that does not exist is said again this often while it stays missing: the host's
 * doctor shows a plugin's warnings for 15 minutes, so a lasting problem stays visible there.
 */
export const MISSING_LEASE_FILE_REPEAT_MS = 10 * 60_000;

export interface ObserverOptions {
  settings: ObserverSettings;
  log: Logger;
  publish: (drafts: EventDraft[]) => Promise<PublishResult>;
  signal: AbortSignal;
  clock?: () => number;
  /** Called once: armed, and the first observations answered by the host (or given up on). */
  onStarted?: () => void;
}

/**
 * Wires the sources to the presence tracker and the tracker to `events/publish`: a full neighbour snapshot
 * at start, on a timer and whenever the monitor may have lost events; `ip monitor neigh` in between for
 * immediacy; lease files re-read on change; a tick that turns elapsed time into refreshes and expiries.
 */
export class ArpObserver {
  private readonly s: ObserverSettings;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly filter: ClientFilter;
  private readonly tracker: PresenceTracker;
  private readonly publisher: Publisher;
  private readonly leaseSources: LeaseSource[];
  private readonly leasesRead = new Set<LeaseServer>();
  private readonly lastSkipped = new Map<string, number>();
  /** Lease sources whose file is missing, with when that was last logged. */
  private readonly missingSince = new Map<LeaseServer, number>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly watchers: LeaseFileWatcher[] = [];
  private monitor?: NeighbourMonitor;
  private snapshotDone = false;
  private resyncRunning = false;
  private resyncPending?: string;
  private lastResyncStart = Number.NEGATIVE_INFINITY;
  private spacedResync?: NodeJS.Timeout;
  private firstSnapshotRetry?: NodeJS.Timeout;
  private stopped = false;
  /** Counters for logs and the benchmark. */
  readonly stats = { snapshots: 0, snapshotFailures: 0, monitorEntries: 0, gaps: 0 };

  constructor(private readonly opts: ObserverOptions) {
    this.s = opts.settings;
    this.log = opts.log;
    this.now = opts.clock ?? Date.now;
    this.filter = new ClientFilter(this.s);
    // Suppression and reuse are decisions an operator may wonder about: said at info, once each.
    this.tracker = new PresenceTracker(this.s, (n) =>
      this.log.info(`flap damping: ${n.address} ${n.kind}`, {
        address: n.address,
        penalty: Math.round(n.penalty),
        ...(n.kind === 'suppressed' ? { reuseAt: new Date(n.reuseAt).toISOString() } : {}),
      }),
    );
    this.publisher = new Publisher(opts.publish, opts.log);
    const { dnsmasq, iscDhcpd, kea } = this.s.sources;
    this.leaseSources = [
      dnsmasq ? { server: 'dnsmasq' as const, path: dnsmasq } : undefined,
      iscDhcpd ? { server: 'iscDhcpd' as const, path: iscDhcpd } : undefined,
      kea ? { server: 'kea' as const, path: kea } : undefined,
    ].filter((x): x is LeaseSource => x !== undefined);
  }

  /** Run until the signal aborts. */
  async run(): Promise<void> {
    if (this.opts.signal.aborted) return;
    const stoppedWatching = new Promise<void>((resolve) =>
      this.opts.signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    // Monitor first, then the dump: an event between the two is then applied, not lost.
    if (this.s.sources.neighbours) {
      this.monitor = new NeighbourMonitor(
        this.s.ipCommand,
        {
          entry: (e) => this.onMonitorEntry(e),
          gap: (reason) => {
            this.stats.gaps++;
            this.requestResync(reason);
          },
          // The first dump may have been taken before the monitor could see changes: one more, now.
          subscribed: () => {
            this.log.info('ip monitor subscribed');
            this.requestResync('monitor subscribed');
          },
          log: (level, msg, fields) => this.log[level](msg, fields),
        },
        this.now,
      );
      this.monitor.start();
    }
    for (const source of this.leaseSources) {
      const watcher = new LeaseFileWatcher(
        source.path,
        () => leaseSourceFiles(source),
        () => void this.reloadLeases(source),
        this.s.leasePollEveryMs,
      );
      this.watchers.push(watcher);
      await watcher.start();
    }
    await Promise.all(this.leaseSources.map((source) => this.reloadLeases(source)));
    this.requestResync('start');
    this.timers.push(setInterval(() => this.requestResync('timer'), this.s.resyncEveryMs));
    const tickMs = Math.min(1000, Math.max(50, Math.floor(this.s.refreshEveryMs / 4)));
    this.timers.push(setInterval(() => this.publishChanges(this.tracker.evaluate(this.now())), tickMs));
    await stoppedWatching;
    this.stop();
  }

  /**
   * What is present right now, as the drafts last published for it (same ids, current expiry): the answer
   * to a `plugin/run` sweep. Empty until armed — before the first snapshot nothing is known.
   */
  currentObservations(): { armed: boolean; drafts: EventDraft[] } {
    if (!this.tracker.isArmed) return { armed: false, drafts: [] };
    const drafts = this.tracker
      .presentEpisodes()
      .map((episode) => toDraft({ kind: 'refreshed', episode }, this.s.ownerSide, this.s.ttlMs));
    return { armed: true, drafts };
  }

  /** The monitor's child pid, for tests that simulate a gap by killing it. */
  get monitorPid(): number | undefined {
    return this.monitor?.pid;
  }

  private stop(): void {
    this.stopped = true;
    this.monitor?.stop();
    for (const w of this.watchers) w.stop();
    for (const t of this.timers) clearInterval(t);
    clearTimeout(this.firstSnapshotRetry);
    clearTimeout(this.spacedResync);
    this.publisher.stop();
  }

  private publishChanges(changes: PresenceChange[]): void {
    if (changes.length === 0 || this.stopped) return;
    this.publisher.enqueue(changes.map((c) => toDraft(c, this.s.ownerSide, this.s.ttlMs)));
  }

  /** Arm once the first neighbour snapshot and every lease source have been read. */
  private maybeArm(): void {
    if (this.tracker.isArmed) return;
    const hasNeighbourSource = this.s.sources.neighbours || this.s.sources.procArp !== false;
    if (hasNeighbourSource && !this.snapshotDone) return;
    if (this.leaseSources.some((l) => !this.leasesRead.has(l.server))) return;
    this.tracker.arm();
    const changes = this.tracker.evaluate(this.now());
    this.log.info('armed', { tracked: this.tracker.size, present: changes.length });
    this.publishChanges(changes);
    const { onStarted } = this.opts;
    if (onStarted)
      void this.publisher
        .idle()
        .then(() => this.stopped || onStarted())
        // A hook that throws must not end the observer (an unhandled rejection would end the process).
        .catch((err: unknown) => this.log.warn('onStarted failed', { error: String(err) }));
  }

  private requestResync(reason: string): void {
    if (this.stopped) return;
    if (this.resyncRunning) {
      this.resyncPending = reason;
      return;
    }
    const wait = this.lastResyncStart + MIN_RESYNC_SPACING_MS - Date.now();
    if (wait > 0) {
      this.spacedResync ??= setTimeout(() => {
        this.spacedResync = undefined;
        this.requestResync(reason);
      }, wait);
      return;
    }
    this.lastResyncStart = Date.now();
    this.resyncRunning = true;
    void this.resync(reason).finally(() => {
      this.resyncRunning = false;
      const next = this.resyncPending;
      this.resyncPending = undefined;
      if (next !== undefined) this.requestResync(next);
    });
  }

  private async resync(reason: string): Promise<void> {
    try {
      await this.refreshOwnIdentity();
      const takenAt = this.now();
      const dump = await this.neighbourDump();
      if (dump === undefined) return;
      this.countSkipped('neighbours', dump);
      const now = this.now();
      const sightings = dump.records.flatMap((e) => {
        const s = this.toSighting(e);
        return s ? [s] : [];
      });
      this.tracker.applyNeighbourSnapshot(sightings, takenAt, now);
      this.stats.snapshots++;
      this.snapshotDone = true;
      this.log.debug('resync', { reason, entries: dump.records.length, clients: sightings.length });
      this.maybeArm();
      this.publishChanges(this.tracker.evaluate(now));
    } catch (err) {
      this.stats.snapshotFailures++;
      this.log.warn('neighbour snapshot failed', {
        reason,
        error: err instanceof Error ? err.message : String(err),
      });
      if (!this.snapshotDone && !this.stopped) {
        clearTimeout(this.firstSnapshotRetry);
        this.firstSnapshotRetry = setTimeout(() => this.requestResync('retry'), FIRST_SNAPSHOT_RETRY_MS);
      }
    }
  }

  /** `ip -j neigh show`; /proc/net/arp when configured, as the only source or when `ip` fails. */
  private async neighbourDump(): Promise<ParseResult<NeighbourEntry> | undefined> {
    const { neighbours, procArp } = this.s.sources;
    const procPath = procArp === true ? PROC_NET_ARP : procArp || undefined;
    if (neighbours) {
      try {
        const takenAt = this.now();
        return parseNeighJson(await runIp(this.s.ipCommand, NEIGH_SHOW_ARGS), takenAt);
      } catch (err) {
        if (procPath === undefined) throw err;
        this.log.warn('ip neigh failed; reading /proc/net/arp instead', {
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
    if (procPath !== undefined) return parseProcArp(await readFile(procPath, 'utf8'));
    return undefined;
  }

  /** Rediscover our own addresses and MACs; anything tracked that turns out to be ours is dropped silently. */
  private async refreshOwnIdentity(): Promise<void> {
    try {
      this.filter.setOwnIdentity(parseOwnIdentity(await runIp(this.s.ipCommand, ADDR_SHOW_ARGS)));
      this.tracker.forget((address) => this.filter.isNeverAClient(address));
    } catch (err) {
      // Without `ip` (the /proc fallback) only the configured exclusions apply; say so once per resync.
      this.log.warn('could not read own addresses', {
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }

  private toSighting(e: NeighbourEntry): NeighbourSighting | undefined {
    const evidence = neighbourEvidence(e);
    if (evidence === 'ignore') return undefined;
    const c = this.filter.classify(e.address, e.interface, e.mac);
    if ('rejected' in c) return undefined;
    return {
      address: e.address,
      domain: c.domain,
      interface: e.interface,
      mac: e.mac,
      evidence,
      heardAt: lastHeardAt(e),
    };
  }

  private onMonitorEntry(e: NeighbourEntry): void {
    this.stats.monitorEntries++;
    // Rows the filters refuse are not ours to track, whatever they say.
    if ('rejected' in this.filter.classify(e.address, e.interface, e.mac)) return;
    const now = this.now();
    // A deleted row, or one that became static/NOARP/proxy, is no longer a client sighting: gone.
    const sighting = e.deleted ? undefined : this.toSighting(e);
    this.tracker.applyNeighbourUpdate(e.address, sighting, now);
    this.publishChanges(this.tracker.evaluateAddress(e.address, now));
  }

  private async reloadLeases(source: LeaseSource): Promise<void> {
    if (this.stopped) return;
    try {
      const read = await readLeaseSource(source);
      this.noteMissing(source, read.missing);
      this.countSkipped(source.server, read);
      const now = this.now();
      const sightings = read.records.flatMap((lease) => {
        const c = this.filter.classify(lease.address, undefined, lease.mac);
        return 'domain' in c ? [{ address: lease.address, domain: c.domain, lease }] : [];
      });
      this.tracker.applyLeases(source.server, sightings, now);
      this.log.debug('leases read', {
        server: source.server,
        leases: read.records.length,
        clients: sightings.length,
      });
      this.publishChanges(this.tracker.evaluate(now));
    } catch (err) {
      this.log.warn('lease file read failed', {
        server: source.server,
        path: source.path,
        error: err instanceof Error ? err.message : String(err),
      });
    } finally {
      // A source counts as read after its first attempt, so one unreadable file cannot silence the others.
      this.leasesRead.add(source.server);
      this.maybeArm();
    }
  }

  /** A configured lease file that does not exist reads as no leases: a warning, not silence. */
  private noteMissing(source: LeaseSource, missing: boolean): void {
    const warnedAt = this.missingSince.get(source.server);
    if (!missing) {
      if (warnedAt !== undefined) {
        this.missingSince.delete(source.server);
        this.log.info('lease file appeared', { server: source.server, path: source.path });
      }
      return;
    }
    const now = this.now();
    if (warnedAt !== undefined && now - warnedAt < MISSING_LEASE_FILE_REPEAT_MS) return;
    this.missingSince.set(source.server, now);
    this.log.warn(
      `lease file ${source.path} (sources.${source.server}) does not exist: no leases are read until it appears; check the path`,
      { server: source.server, path: source.path },
    );
  }

  /** Malformed lines are skipped and counted; say so when the count changes, with a few samples. */
  private countSkipped(source: string, r: ParseResult<unknown>): void {
    if (r.skipped === (this.lastSkipped.get(source) ?? 0)) return;
    this.lastSkipped.set(source, r.skipped);
    if (r.skipped > 0)
      this.log.warn('skipped malformed lines', { source, skipped: r.skipped, samples: r.samples });
  }
}
