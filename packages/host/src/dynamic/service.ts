import type { RenderResponse } from '@routerd/host-wire';
import {
  type ActionPlan,
  addressKey,
  type Event,
  foldAddressEvents,
  hostAddress,
  type PluginResult,
  parseDuration,
  type TraceContext,
} from '@routerd/plugin-sdk';
import { runBackground } from '../background.js';
import type { Clock } from '../clock.js';
import type { EventSubscription, FederationConfig } from '../config/index.js';
import type { NoObserveSet } from '../events/no-observe.js';
import { traceCause } from '../events/trace-cause.js';
import type { Metrics } from '../metrics.js';
import type { DynamicStore, StoredPart } from '../store/dynamic-parts.js';
import { ACK_TTL, type ApplyOutcome, acknowledgementDrafts, type LocalDraft } from './acknowledgements.js';
import { annotate } from './annotations.js';
import { ClaimLifecycle } from './claims.js';
import { checkResult, isClaim } from './invariants.js';
import { describeOrigin, groupOfSource, type ResultOrigin } from './origin.js';
import { PartWriter } from './parts.js';
import { claimPlans, type PartPlanHooks, plansByAddress, restPlans } from './plans.js';
import { actionPlansOf, partsAsOf, renderEffective, startupResources } from './render.js';

export type { ApplyOutcome } from './acknowledgements.js';
export type { ResultOrigin } from './origin.js';

/** A result without a `ttl`: its non-claim part lasts this long. */
const DEFAULT_TTL_MS = 300_000;
const ACK_TTL_MS = parseDuration(ACK_TTL);
/** Past this many interval refusals remembered, those said more than ACK_TTL_MS ago are forgotten. */
const MAX_REFUSALS_REMEMBERED = 256;

export interface DynamicOptions {
  store: DynamicStore;
  clock: Clock;
  noObserve: NoObserveSet;
  config: () => FederationConfig;
  /** Write local events (acknowledgements, plan announcements) through the emit pipeline. */
  emit: (drafts: LocalDraft[], cause?: TraceContext) => void;
  log: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
  /** Claims and parts in force (read at scrape time), releases, refusals by invariant. */
  metrics?: Metrics;
  /** Told of parts written and released, after they commit: the action executor's way in. */
  plans?: PartPlanHooks;
}

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
 * The jobs live in their own modules: invariants (pure checks), origin (names), parts, plans, claims
 * (lifecycle and release timer), acknowledgements and render.
 */
export class DynamicConfig {
  private readonly writer: PartWriter;
  private readonly claims: ClaimLifecycle;
  /** When each interval refusal was last said (see repeatsRefusal). */
  private readonly refusalsSaid = new Map<string, number>();

  constructor(private readonly o: DynamicOptions) {
    this.writer = new PartWriter(o.store, (source) => groupOfSource(o.config(), source));
    this.claims = new ClaimLifecycle({ ...o, parts: this.writer });
    this.claims.refreshNoObserve();
    if (o.metrics) {
      o.metrics.sources.claims = () => o.store.claimCounts();
      o.metrics.sources.activeParts = () => o.store.activePartCount(o.clock.now());
    }
  }

  start(): void {
    this.claims.start();
  }

  stop(): void {
    this.claims.stop();
  }

  /**
   * Whether an interval run's refusal repeats one said less than ACK_TTL ago (same source, part and
   * reason): a plugin whose every tick is refused would otherwise log, and push to every peer, one
   * `.rejected` per tick (86,400 a day at `every: 1s`). The metric still counts each one; the event and
   * the log line come again once the last one has expired.
   */
  private repeatsRefusal(origin: ResultOrigin, r: { part: string; reason: string }, now: number): boolean {
    if (!('plugin' in origin) || origin.trigger !== 'interval') return false;
    const key = `${origin.plugin}\u0000${r.part}\u0000${r.reason}`;
    const said = this.refusalsSaid.get(key);
    if (said !== undefined && now - said < ACK_TTL_MS) return true;
    if (this.refusalsSaid.size >= MAX_REFUSALS_REMEMBERED)
      for (const [k, at] of this.refusalsSaid) if (now - at >= ACK_TTL_MS) this.refusalsSaid.delete(k);
    this.refusalsSaid.set(key, now);
    return false;
  }

  /**
   * The one way a plugin result becomes dynamic config, whatever triggered the run: a subscription's
   * batch, a manual run or an interval tick. Every invariant is checked here, so no trigger can skip
   * one; nothing is stored when any of them refuses the result.
   */
  applyResult(origin: ResultOrigin, events: readonly Event[], result: PluginResult): ApplyOutcome {
    const now = this.o.clock.now();
    const config = this.o.config();
    const o = describeOrigin(origin, config);
    const ttlMs = result.status.ttl ? parseDuration(result.status.ttl) : DEFAULT_TTL_MS;
    const eventIds = events.map((e) => e.id);
    const seen = new Map(foldAddressEvents(events).addresses.map((a) => [a.key, a]));
    const resources = result.status.resources ?? [];
    const plans = result.status.actionPlans ?? [];
    const directives = result.status.directives ?? [];
    const claims = resources.filter(isClaim);
    const others = resources.filter((r) => !isClaim(r));

    const refused = checkResult({
      claims,
      others,
      directives,
      seen,
      origin: o,
      held: {
        heldClaim: (domain, address) => this.o.store.claim(domain, address),
        heldClaimInPart: (part) => this.o.store.heldClaimInPart(part),
      },
      startup: () => startupResources(config),
      activeParts: () => this.o.store.activeParts(now),
      policies: config.policies,
    });
    if (refused) {
      const { invariant, refusal } = refused;
      const rejected: ApplyOutcome = {
        accepted: [],
        rejected: { ...refusal, part: refusal.part ?? o.prefix },
        announced: [],
      };
      this.o.metrics?.resultsRefused.inc({ invariant });
      if (this.repeatsRefusal(origin, rejected.rejected!, now)) return rejected;
      this.o.log('warn', 'result rejected', { source: o.source, invariant, ...rejected.rejected });
      this.o.emit(acknowledgementDrafts(o.group, rejected, o.source, eventIds), traceCause(events));
      return rejected;
    }

    const outcome: ApplyOutcome = { accepted: [], announced: [] };
    // Announcements are written once the transaction has committed (never from inside it).
    const drafts: LocalDraft[] = [];
    const written: { part: ReturnType<PartWriter['write']>; fresh: ActionPlan[] }[] = [];
    const heldParts: string[] = [];
    /** A claim's part: the events about its address (what its acknowledgement names). */
    const partEvents = new Map<string, string[]>();
    const accept = (part: ReturnType<PartWriter['write']>) => {
      outcome.accepted.push({
        part: part.metadata.name,
        generation: part.spec.generation,
        resources: part.spec.resources.map((r) => `${r.kind}/${r.metadata.name}`),
      });
      const { fresh, drafts: announcing } = this.writer.announce(part, now);
      outcome.announced.push(...fresh);
      drafts.push(...announcing);
      written.push({ part, fresh });
    };
    // The newest traced event of the batch: what its acknowledgements, plans and claims answer.
    const cause = traceCause(events);
    const byAddress = plansByAddress(plans);
    this.o.store.transact(() => {
      const claimed = new Set<string>();
      for (const claim of claims) {
        const key = addressKey(claim.spec.domain, claim.spec.address);
        claimed.add(key);
        const obs = seen.get(key)!;
        if (!obs.present) continue; // a claim for an address the batch says is gone: nothing to provision
        const ownEvents = obs.events.map((e) => e.id);
        const content = {
          // The events about this address, not the whole batch's: what `routerctl trace` follows.
          resources: [annotate(claim, o.source, o.group, ownEvents)],
          directives: [],
          actionPlans: claimPlans(byAddress, obs.address),
        };
        const held = this.claims.hold(claim, obs, o, content, now, cause);
        heldParts.push(held.metadata.name);
        partEvents.set(held.metadata.name, ownEvents);
        accept(held);
      }
      // Addresses the batch says are gone: hold the teardown until the grace after the last observation.
      for (const obs of seen.values())
        if (!obs.present && !claimed.has(obs.key)) this.claims.markGone(obs, byAddress, now, cause);
      const claimedAddresses = new Set(claims.map((c) => `${hostAddress(c.spec.address)}/32`));
      const rest = {
        resources: others.map((r) => annotate(r, o.source, o.group, eventIds)),
        directives,
        actionPlans: restPlans(plans, claimedAddresses),
      };
      const restName = o.restPart(rest);
      if (restName)
        accept(
          this.writer.write(restName, o.source, now, Date.parse(result.status.observedAt) + ttlMs, rest),
        );
    });
    const acks = acknowledgementDrafts(
      o.group,
      o.acknowledgeAccepted ? outcome : { ...outcome, accepted: [] },
      o.source,
      eventIds,
      partEvents,
    );
    if (drafts.length || acks.length) this.o.emit([...drafts, ...acks], cause);
    // The parts are stored whatever the hook does: a hook that throws is logged, never undoes the result.
    for (const w of written)
      runBackground("handing a part's plans to the executor", this.o.log, () =>
        this.o.plans?.written(w.part, w.fresh, cause),
      );
    // A client back after its claim was released: the teardown its leaving queued must not run now.
    for (const name of heldParts)
      runBackground('cancelling a returned claim’s teardown', this.o.log, () => this.o.plans?.returned(name));
    this.claims.changed();
    return outcome;
  }

  /** A TTL refresh of an observation that produced a claim: a re-observation (see ClaimLifecycle). */
  noteRefresh(sub: EventSubscription, event: Event): void {
    this.claims.noteRefresh(sub, event);
  }

  /** Release every claim whose grace has run out. */
  releaseDue(): void {
    this.claims.releaseDue();
  }

  // --- reads ------------------------------------------------------------------------------------

  /**
   * Where news of a part's plans goes: the group its events go to, and the node whose observation the
   * part's claim answers (a `<part>-teardown` carries no claim: the released part it follows has it).
   */
  outcomeRoute(partName: string): { group: string; ownerNode?: string } | undefined {
    const part = this.o.store.part(partName);
    const group = part && groupOfSource(this.o.config(), part.source);
    if (!group) return undefined;
    const claimPart = this.o.store.part(partName.replace(/-teardown$/, '')) ?? part;
    const claim = claimPart.body.spec.resources.find(isClaim);
    return claim ? { group, ownerNode: claim.spec.ownerNode } : { group };
  }

  /** When a part leaves the config by its TTL; 0 when it has left (released or gone), undefined if never. */
  partExpiresAt(name: string): number | undefined {
    const part = this.o.store.part(name);
    if (part?.state !== 'active') return 0;
    return part.expiresAtMs ?? undefined;
  }

  parts(): StoredPart[] {
    return partsAsOf(this.o.store.allParts(), this.o.clock.now());
  }

  activeParts(): StoredPart[] {
    return this.o.store.activeParts(this.o.clock.now());
  }

  /** effective = startup resources + active dynamic parts − masks (each allowed by a DynamicOverridePolicy). */
  render(): RenderResponse {
    return renderEffective(this.o.config(), this.activeParts());
  }

  /** Plans of active parts: the inert action list (`routerctl action list`). */
  actionPlans() {
    return actionPlansOf(this.activeParts());
  }
}
