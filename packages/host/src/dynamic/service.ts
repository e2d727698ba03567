import { createHash } from 'node:crypto';
import { API_VERSION_CONFIG, type DynamicConfigPart, type RenderResponse } from '@routerd/host-wire';
import {
  type ActionPlan,
  type AddressState,
  addressKey,
  addressSlug,
  type Directive,
  type Event,
  type EventDraft,
  EventTypes,
  foldAddressEvents,
  hostAddress,
  type PluginResult,
  parseDuration,
  type RemoteAddressClaim,
  type Resource,
} from '@routerd/plugin-sdk';
import { runBackground } from '../background.js';
import type { Clock } from '../clock.js';
import type { DynamicOverridePolicy, EventSubscription, FederationConfig } from '../config/index.js';
import type { NoObserveSet } from '../events/no-observe.js';
import type { ClaimRow, DynamicStore, StoredPart } from '../store/dynamic-parts.js';
import type { Timers } from '../subscriptions/batcher.js';
import { annotate } from './annotations.js';

const DEFAULT_TTL_MS = 300_000;
/** `EventSubscription.spec.teardown.grace`'s default, for claims no subscription owns. */
const DEFAULT_GRACE_MS = 30 * 60_000;

export interface ApplyOutcome {
  accepted: { part: string; generation: number; resources: string[] }[];
  rejected?: { reason: string; holder?: string; part: string };
  /** Plans announced for the first time by this result. */
  announced: ActionPlan[];
}

/** What produced a result: a subscription's batch, or a manual or interval run of a plugin. */
export type ResultOrigin = { subscription: EventSubscription } | { plugin: string };

/** How an origin's parts are named and released; the checks are the same for every origin. */
interface OriginNames {
  /** `EventSubscription/<name>` or `Plugin/<name>`. */
  source: string;
  /** Parts are `<prefix>-<a-b-c-d>` (one per claimed address) and, for refusals, `<prefix>`. */
  prefix: string;
  group: string;
  /** The claim ledger's subscription column: empty for plugin runs. */
  subscription: string;
  graceMs: number;
  /**
   * Whether accepted parts are acknowledged: a subscription answers the peers whose observations it
   * handled; a manual or interval run was handed no received observations, so it has nobody to answer.
   * A refusal is acknowledged whatever the origin, so it is visible however the run was triggered.
   */
  acknowledgeAccepted: boolean;
  /** The part for everything but claims, or none. */
  restPart: (rest: {
    resources: Resource[];
    directives: Directive[];
    actionPlans: ActionPlan[];
  }) => string | undefined;
}

export interface DynamicOptions {
  store: DynamicStore;
  clock: Clock;
  timers: Timers;
  noObserve: NoObserveSet;
  config: () => FederationConfig;
  /** Write local events (acknowledgements, plan announcements) through the emit pipeline. */
  emit: (drafts: (EventDraft & { group: string })[]) => void;
  log: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

/** A release the store refused (a full disk) is tried again after this long. */
const RELEASE_RETRY_MS = 5000;

const sha = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex');
const isClaim = (r: Resource): r is Resource & RemoteAddressClaim => r.kind === 'RemoteAddressClaim';
const planAddress = (p: ActionPlan) => (p.target.address ? `${hostAddress(p.target.address)}/32` : undefined);
const TEARDOWN: ActionPlan['action'] = 'unassign-secondary-ip';
const claimPartName = (origin: OriginNames, claim: RemoteAddressClaim) =>
  `${origin.prefix}-${addressSlug(claim.spec.address)}`;

/**
 * Turns accepted plugin results into DynamicConfigParts and enforces the ADR's invariants, for every
 * trigger alike (applyResult is the only way in):
 * - single writer per (domain, address): a claim must name the node that observed the address, and
 *   while one is held, no other owner or source may claim it;
 * - prompt provision, hysteretic de-provision: a claim (and its assign plan) appears at once; it is
 *   released only `teardown.grace` after its last observation, and any re-observation cancels that;
 * - no feedback loop: every held claim's address joins this node's no-observe set.
 * Each claimed address gets its own part (`<subscription>-<a-b-c-d>`, `plugin-<name>-<a-b-c-d>`), so
 * addresses come and go independently; everything else a subscription run proposes goes in a part named
 * after its digest, and a manual or interval run's in `plugin-<name>`, replaced by each run.
 */
export class DynamicConfig {
  private releaseTimer: unknown;
  /** Events to write once the current transaction has committed (never from inside it). */
  private outbox: (EventDraft & { group: string })[] = [];

  constructor(private readonly o: DynamicOptions) {
    this.refreshNoObserve();
  }

  start(): void {
    this.releaseDue();
  }

  stop(): void {
    if (this.releaseTimer !== undefined) this.o.timers.clear(this.releaseTimer);
    this.releaseTimer = undefined;
  }

  /**
   * The one way a plugin result becomes dynamic config, whatever triggered the run: a subscription's
   * batch, a manual run or an interval tick. Every invariant is checked here, so no trigger can skip
   * one; nothing is stored when any of them refuses the result.
   */
  applyResult(origin: ResultOrigin, events: readonly Event[], result: PluginResult): ApplyOutcome {
    const now = this.o.clock.now();
    const o = this.describe(origin);
    const ttlMs = result.status.ttl ? parseDuration(result.status.ttl) : DEFAULT_TTL_MS;
    const eventIds = events.map((e) => e.id);
    const seen = new Map(foldAddressEvents(events).addresses.map((a) => [a.key, a]));
    const resources = (result.status.resources ?? []) as Resource[];
    const plans = result.status.actionPlans ?? [];
    const directives = (result.status.directives ?? []) as Directive[];
    const claims = resources.filter(isClaim);
    const others = resources.filter((r) => !isClaim(r));

    const refusal =
      this.checkClaims(claims, seen, o) ??
      this.checkOthers(others, o.source, now) ??
      this.checkDirectives(directives, o.source);
    if (refusal) {
      const refused: ApplyOutcome = {
        accepted: [],
        rejected: { ...refusal, part: refusal.part ?? o.prefix },
        announced: [],
      };
      this.o.log('warn', 'result rejected', { source: o.source, ...refused.rejected });
      this.acknowledge(o.group, refused, o.source, eventIds);
      return refused;
    }

    const outcome: ApplyOutcome = { accepted: [], announced: [] };
    const db = this.o.store.db;
    db.transaction(() => {
      const claimed = new Set<string>();
      for (const claim of claims) {
        const key = addressKey(claim.spec.domain, claim.spec.address);
        claimed.add(key);
        const obs = seen.get(key)!;
        if (!obs.present) continue; // a claim for an address the batch says is gone: nothing to provision
        const partName = claimPartName(o, claim);
        const mine = plans.filter((p) => planAddress(p) === obs.address);
        const existing = this.o.store.claim(obs.domain, obs.address);
        const lastObservedMs = Math.max(
          Date.parse(obs.lastObservedAt!),
          existing && existing.state !== 'released' ? existing.lastObservedMs : 0,
        );
        const releaseAtMs = lastObservedMs + o.graceMs;
        const part = this.writePart(partName, o.source, now, releaseAtMs, {
          resources: [annotate(claim, o.source, o.group, eventIds)],
          directives: [],
          actionPlans: mine.filter((p) => p.action !== TEARDOWN),
        });
        this.o.store.saveClaim(
          {
            domain: obs.domain,
            address: obs.address,
            ownerNode: claim.spec.ownerNode,
            subscription: o.subscription,
            part: partName,
            state: 'active',
            lastObservedMs,
            releaseAtMs,
            teardown: null,
          },
          now,
        );
        outcome.accepted.push({
          part: partName,
          generation: part.spec.generation,
          resources: [`RemoteAddressClaim/${claim.metadata.name}`],
        });
        outcome.announced.push(...this.announce(part));
      }
      // Addresses the batch says are gone: hold the teardown until the grace after the last observation.
      for (const obs of seen.values()) {
        if (obs.present || claimed.has(addressKey(obs.domain, obs.address))) continue;
        const existing = this.o.store.claim(obs.domain, obs.address);
        if (!existing || existing.state === 'released') continue;
        // Only the owner's observations steer its claim: another node saying "gone" is no news of it.
        if (existing.ownerNode !== obs.ownerNode) continue;
        const teardown = plans.filter((p) => planAddress(p) === obs.address && p.action === TEARDOWN);
        this.o.store.saveClaim(
          { ...existing, state: 'releasing', teardown: teardown.length ? teardown : existing.teardown },
          now,
        );
      }
      const claimedAddresses = new Set(claims.map((c) => `${hostAddress(c.spec.address)}/32`));
      const rest = {
        resources: others.map((r) => annotate(r, o.source, o.group, eventIds)),
        directives,
        actionPlans: plans.filter(
          (p) => !p.target.address || (!claimedAddresses.has(planAddress(p)!) && p.action !== TEARDOWN),
        ),
      };
      const restName = o.restPart(rest);
      if (restName) {
        const part = this.writePart(
          restName,
          o.source,
          now,
          Date.parse(result.status.observedAt) + ttlMs,
          rest,
        );
        outcome.accepted.push({
          part: restName,
          generation: part.spec.generation,
          resources: rest.resources.map((r) => `${r.kind}/${r.metadata.name}`),
        });
        outcome.announced.push(...this.announce(part));
      }
    })();
    this.acknowledge(
      o.group,
      o.acknowledgeAccepted ? outcome : { ...outcome, accepted: [] },
      o.source,
      eventIds,
    );
    this.refreshNoObserve();
    this.scheduleRelease();
    return outcome;
  }

  /** What differs between origins: names, group, grace. Never which checks apply. */
  private describe(origin: ResultOrigin): OriginNames {
    if ('subscription' in origin) {
      const sub = origin.subscription;
      const name = sub.metadata.name;
      return {
        source: `EventSubscription/${name}`,
        prefix: name,
        group: sub.spec.groupRef,
        subscription: name,
        graceMs: parseDuration(sub.spec.teardown.grace),
        acknowledgeAccepted: true,
        // Everything but claims goes in a part named after its content: runs proposing the same add nothing.
        restPart: (rest) =>
          rest.resources.length || rest.directives.length || rest.actionPlans.length
            ? `${name}-${sha(rest).slice(0, 12)}`
            : undefined,
      };
    }
    const prefix = `plugin-${origin.plugin}`;
    return {
      source: `Plugin/${origin.plugin}`,
      prefix,
      group: this.o.config().groups[0]?.resource.metadata.name ?? '',
      // No subscription owns the claim: it is released after the default grace.
      subscription: '',
      graceMs: DEFAULT_GRACE_MS,
      acknowledgeAccepted: false,
      // One part per plugin, replaced by each run (an empty run clears it).
      restPart: () => prefix,
    };
  }

  /**
   * A TTL refresh of an observation that produced a claim (observers refresh with the same id and a later
   * expiry): it counts as a re-observation at the time it arrives, pushing the release back and
   * cancelling a pending one.
   */
  noteRefresh(sub: EventSubscription, event: Event): void {
    if (event.type !== EventTypes.clientIpv4Observed) return;
    const { address, domain } = event.payload as { address: string; domain: string };
    const held = this.o.store.claim(domain, `${hostAddress(address)}/32`);
    if (!held || held.state === 'released' || held.ownerNode !== event.sourceNode) return;
    const now = this.o.clock.now();
    const lastObservedMs = Math.max(held.lastObservedMs, now);
    const releaseAtMs = lastObservedMs + parseDuration(sub.spec.teardown.grace);
    this.o.store.saveClaim({ ...held, state: 'active', teardown: null, lastObservedMs, releaseAtMs }, now);
    this.o.store.setPartExpiry(held.part, releaseAtMs, now);
    this.scheduleRelease();
  }

  // --- invariants -------------------------------------------------------------------------------

  /**
   * Single writer per (domain, address): a claim must name the node that observed the address in the
   * events this run was given, and while a claim for the address is held, only the part holding it
   * may write it again — another owner, or the same owner through another source, is refused.
   */
  private checkClaims(
    claims: (Resource & RemoteAddressClaim)[],
    seen: Map<string, AddressState>,
    origin: OriginNames,
  ) {
    for (const claim of claims) {
      const key = addressKey(claim.spec.domain, claim.spec.address);
      const part = claim.metadata.name;
      const obs = seen.get(key);
      if (!obs) {
        return {
          reason: `RemoteAddressClaim/${part} claims ${claim.spec.address} in ${claim.spec.domain}, but no event given to this run observed it: a claim needs its owner's observation (a run without events, such as an interval run, cannot claim)`,
          part,
        };
      }
      if (obs.ownerNode !== claim.spec.ownerNode) {
        return {
          reason: `RemoteAddressClaim/${part} names owner ${claim.spec.ownerNode}, but ${claim.spec.address} was observed by ${obs.ownerNode}: only the observing side may own an address`,
          part,
        };
      }
      const held = this.o.store.claim(obs.domain, obs.address);
      if (!held || held.state === 'released') continue;
      if (held.ownerNode !== claim.spec.ownerNode) {
        return {
          reason: `${claim.spec.address} in ${claim.spec.domain} is already claimed by ${held.ownerNode} (one writer per address): ${claim.spec.ownerNode}'s claim is refused`,
          holder: held.ownerNode,
          part,
        };
      }
      if (held.part !== claimPartName(origin, claim)) {
        return {
          reason: `${claim.spec.address} in ${claim.spec.domain} is already claimed by ${held.ownerNode} through part ${held.part} (one writer per address): the same claim from ${origin.source} is refused`,
          holder: held.ownerNode,
          part,
        };
      }
    }
    return undefined;
  }

  /** A Kind/name another source already provides, or a startup resource, is a conflict. */
  private checkOthers(resources: Resource[], source: string, now: number) {
    const startup = new Set(this.startupResources().map((r) => `${r.kind}/${r.metadata.name}`));
    const byOthers = new Map<string, string>();
    for (const p of this.o.store.activeParts(now)) {
      if (p.source === source) continue;
      for (const r of p.body.spec.resources as Resource[])
        byOthers.set(`${r.kind}/${r.metadata.name}`, p.source);
    }
    for (const r of resources) {
      const id = `${r.kind}/${r.metadata.name}`;
      if (startup.has(id))
        return {
          reason: `${id} is a startup resource: a dynamic part cannot replace it (mask it through a DynamicOverridePolicy instead)`,
          part: undefined,
        };
      const other = byOthers.get(id);
      if (other)
        return {
          reason: `${id} is already provided by ${other}: conflicting parts are refused`,
          part: undefined,
        };
    }
    return undefined;
  }

  private checkDirectives(directives: Directive[], source: string) {
    for (const d of directives) {
      if (!this.maskAllowed(source, d.target)) {
        return {
          reason: `mask of ${d.target.kind}/${d.target.name} by ${source} is not allowed by any DynamicOverridePolicy`,
          part: undefined,
        };
      }
    }
    return undefined;
  }

  private maskAllowed(source: string, target: { kind: string; name: string }): boolean {
    const [kind] = source.split('/');
    return this.o.config().policies.some(({ resource: p }: { resource: DynamicOverridePolicy }) => {
      const sourceOk = p.spec.sources.some((s) => s === source || s === `${kind}/*`);
      const targetOk = p.spec.targets.some(
        (t) => t.kind === target.kind && (t.name === undefined || t.name === target.name),
      );
      return sourceOk && targetOk;
    });
  }

  // --- parts, plans, releases -------------------------------------------------------------------

  private writePart(
    name: string,
    source: string,
    now: number,
    expiresAtMs: number,
    content: { resources: Resource[]; directives: Directive[]; actionPlans: ActionPlan[] },
  ): DynamicConfigPart {
    // The digest ignores the event-ids annotation: a refresh by newer events is not a new generation.
    const digest = sha({
      resources: content.resources.map((r) => ({ ...r, metadata: { name: r.metadata.name } })),
      directives: content.directives,
      actionPlans: content.actionPlans,
    });
    const prev = this.o.store.part(name);
    const generation = !prev
      ? 1
      : prev.digest === digest && prev.state === 'active'
        ? prev.generation
        : prev.generation + 1;
    const part: DynamicConfigPart = {
      apiVersion: API_VERSION_CONFIG,
      kind: 'DynamicConfigPart',
      metadata: { name },
      spec: {
        source,
        generation,
        observedAt: new Date(now).toISOString(),
        expiresAt: new Date(expiresAtMs).toISOString(),
        digest,
        resources: content.resources,
        directives: content.directives,
        actionPlans: content.actionPlans,
      },
    };
    this.o.store.upsertPart(part, expiresAtMs, now);
    return part;
  }

  /** Announce each plan once per life of its part (`routerd.provider.action.planned`). */
  private announce(part: DynamicConfigPart): ActionPlan[] {
    const fresh = part.spec.actionPlans.filter((p) =>
      this.o.store.announce(p.idempotencyKey, part.metadata.name, this.o.clock.now()),
    );
    const group = this.groupOf(part.spec.source);
    if (fresh.length && group) {
      this.outbox.push(
        ...fresh.map((p) => ({
          group,
          type: EventTypes.providerActionPlanned,
          ...(p.target.address ? { subject: p.target.address } : {}),
          dedupeKey: p.idempotencyKey,
          ttl: '1h',
          payload: {
            plan: p.name,
            provider: p.provider,
            action: p.action,
            idempotencyKey: p.idempotencyKey,
            part: part.metadata.name,
            ...(p.target.address ? { address: `${hostAddress(p.target.address)}/32` } : {}),
          },
        })),
      );
    }
    return fresh;
  }

  private flushEvents(): void {
    const drafts = this.outbox;
    this.outbox = [];
    if (drafts.length) this.o.emit(drafts);
  }

  private groupOf(source: string): string | undefined {
    const [kind, name] = source.split('/');
    if (kind === 'EventSubscription')
      return this.o.config().subscriptions.find((s) => s.resource.metadata.name === name)?.resource.spec
        .groupRef;
    return this.o.config().groups[0]?.resource.metadata.name;
  }

  /** Tell the origin what became of its observations: pushed back through the outbox. */
  private acknowledge(group: string, outcome: ApplyOutcome, source: string, eventIds: string[]): void {
    const drafts: (EventDraft & { group: string })[] = [];
    for (const a of outcome.accepted) {
      drafts.push({
        group,
        type: EventTypes.dynamicPartAccepted,
        subject: a.part,
        ttl: '1h',
        payload: {
          part: a.part,
          source,
          eventIds: [...eventIds].sort(),
          generation: a.generation,
          resources: a.resources,
        },
      });
    }
    if (outcome.rejected) {
      drafts.push({
        group,
        type: EventTypes.dynamicPartRejected,
        subject: outcome.rejected.part,
        ttl: '1h',
        payload: {
          part: outcome.rejected.part,
          source,
          eventIds: [...eventIds].sort(),
          reason: outcome.rejected.reason,
          ...(outcome.rejected.holder ? { holder: outcome.rejected.holder } : {}),
        },
      });
    }
    this.outbox.push(...drafts);
    this.flushEvents();
  }

  /** Release every claim whose grace has run out: its part leaves the config, its teardown plan appears. */
  releaseDue(): void {
    const now = this.o.clock.now();
    for (const c of this.o.store.dueReleases(now)) this.release(c, now);
    this.flushEvents();
    this.refreshNoObserve();
    this.scheduleRelease();
  }

  private release(c: ClaimRow, now: number): void {
    const part = this.o.store.part(c.part);
    const teardown = c.teardown ?? (part ? this.undoPlans(part) : []);
    this.o.store.db.transaction(() => {
      this.o.store.saveClaim({ ...c, state: 'released', teardown: null }, now);
      this.o.store.releasePart(c.part, now);
      this.o.store.forgetAnnouncements(c.part);
      if (teardown.length && part) {
        const sub = this.o
          .config()
          .subscriptions.find((s) => s.resource.metadata.name === c.subscription)?.resource;
        const graceMs = sub ? parseDuration(sub.spec.teardown.grace) : DEFAULT_GRACE_MS;
        const written = this.writePart(`${c.part}-teardown`, part.source, now, now + graceMs, {
          resources: [],
          directives: [],
          actionPlans: teardown,
        });
        this.announce(written);
      }
    })();
    this.o.log('info', 'claim released after its grace', {
      address: c.address,
      domain: c.domain,
      part: c.part,
      lastObservedAt: new Date(c.lastObservedMs).toISOString(),
    });
  }

  /** Without an explicit teardown plan, the assign plans' own `undo` says how to take the address back. */
  private undoPlans(part: StoredPart): ActionPlan[] {
    return part.body.spec.actionPlans
      .filter((p) => p.action === 'assign-secondary-ip' && p.undo?.steps?.length)
      .map((p) => ({
        ...p,
        name: `${p.name}-undo`,
        action: p.undo!.action,
        idempotencyKey: `${p.idempotencyKey}|undo`,
        steps: p.undo!.steps!,
        expectedEffects: [
          `${p.target.address ?? 'the address'} is no longer a secondary address of ${p.target.nicRef}`,
        ],
        undo: undefined,
      }));
  }

  private scheduleRelease(): void {
    if (this.releaseTimer !== undefined) this.o.timers.clear(this.releaseTimer);
    this.releaseTimer = undefined;
    const next = this.o.store.nextReleaseMs();
    if (next === undefined) return;
    this.armRelease(Math.max(0, next - this.o.clock.now()));
  }

  private armRelease(delayMs: number): void {
    this.releaseTimer = this.o.timers.set(() => {
      this.releaseTimer = undefined;
      // A refused write must not end the daemon: the due releases stay due and are tried again.
      if (!runBackground('releasing claims after their grace', this.o.log, () => this.releaseDue()))
        this.armRelease(RELEASE_RETRY_MS);
    }, delayMs);
  }

  private refreshNoObserve(): void {
    this.o.noObserve.replace(
      'claims',
      this.o.store
        .heldClaims()
        .map((c) => ({ cidr: c.address, reason: `RemoteAddressClaim held by ${c.part}` })),
    );
  }

  // --- reads ------------------------------------------------------------------------------------

  startupResources(): Resource[] {
    const c = this.o.config();
    return [...c.groups, ...c.peers, ...c.subscriptions, ...c.plugins, ...c.policies].map(
      (l) => l.resource as unknown as Resource,
    );
  }

  parts(): StoredPart[] {
    const now = this.o.clock.now();
    return this.o.store.allParts().map((p) => ({
      ...p,
      state:
        p.state === 'active' && p.expiresAtMs !== null && p.expiresAtMs <= now
          ? ('released' as const)
          : p.state,
    }));
  }

  activeParts(): StoredPart[] {
    return this.o.store.activeParts(this.o.clock.now());
  }

  /** effective = startup resources + active dynamic parts − masks (each allowed by a DynamicOverridePolicy). */
  render(): RenderResponse {
    const parts = this.activeParts();
    const masked: RenderResponse['masked'] = [];
    for (const p of parts) {
      for (const d of p.body.spec.directives as Directive[]) {
        if (d.op === 'mask' && this.maskAllowed(p.source, d.target))
          masked.push({ ...d.target, by: p.name, reason: d.reason });
      }
    }
    const isMasked = (r: Resource) => masked.some((m) => m.kind === r.kind && m.name === r.metadata.name);
    return {
      resources: [
        ...this.startupResources().filter((r) => !isMasked(r)),
        ...parts.flatMap((p) => p.body.spec.resources as Resource[]),
      ],
      masked,
      parts: parts.map((p) => p.name),
    };
  }

  /** Plans of active parts: the inert action list (`routerctl action list`). */
  actionPlans(): { part: string; plan: ActionPlan }[] {
    return this.activeParts().flatMap((p) => p.body.spec.actionPlans.map((plan) => ({ part: p.name, plan })));
  }
}
