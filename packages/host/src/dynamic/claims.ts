/**
 * The claim lifecycle: held at once, released only `teardown.grace` after the last observation (on one
 * timer, re-armed for the next due release), and every held address kept in the no-observe set.
 */
import type { DynamicConfigPart } from '@routerd/host-wire';
import type { AddressState, TraceContext } from '@routerd/plugin-sdk';
import { type Event, EventTypes, hostAddress, parseDuration } from '@routerd/plugin-sdk';
import { runBackground } from '../background.js';
import type { Clock, TimerHandle } from '../clock.js';
import type { EventSubscription, FederationConfig } from '../config/index.js';
import type { NoObserveSet } from '../events/no-observe.js';
import type { Metrics } from '../metrics.js';
import type { ClaimRow, DynamicStore } from '../store/dynamic-parts.js';
import type { LocalDraft } from './acknowledgements.js';
import { type Claim, holdUntil, isHeld, noObserveEntries, steersClaim } from './invariants.js';
import { claimPartName, graceOf, type Origin } from './origin.js';
import type { PartContent, PartWriter } from './parts.js';
import { type PartPlanHooks, type PlansByAddress, teardownPlans, undoPlans } from './plans.js';

/** A release the store refused (a full disk) is tried again after this long. */
const RELEASE_RETRY_MS = 5000;

export interface ClaimLifecycleOptions {
  store: DynamicStore;
  parts: PartWriter;
  clock: Clock;
  noObserve: NoObserveSet;
  config: () => FederationConfig;
  emit: (drafts: LocalDraft[], cause?: TraceContext) => void;
  log: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
  metrics?: Metrics;
  plans?: PartPlanHooks;
}

export class ClaimLifecycle {
  private releaseTimer: TimerHandle | undefined;
  /**
   * Whether a claim was taken or released since the no-observe set was last read from the store: most
   * runs only hold claims that are held already, and reading every held claim after each of them made a
   * burst of new clients quadratic (5,000 claims: 40 % of the cloud's CPU).
   */
  private heldSetChanged = true;

  constructor(private readonly o: ClaimLifecycleOptions) {}

  start(): void {
    this.releaseDue();
  }

  stop(): void {
    this.o.clock.clear(this.releaseTimer);
    this.releaseTimer = undefined;
  }

  /**
   * Hold a claim for an address the batch shows present (inside the caller's transaction): its part is
   * written, and its release moves to the grace after its last observation.
   */
  hold(
    claim: Claim,
    obs: AddressState,
    origin: Origin,
    content: PartContent,
    now: number,
    cause?: TraceContext,
  ): DynamicConfigPart {
    const partName = claimPartName(origin, claim);
    const existing = this.o.store.claim(obs.domain, obs.address);
    if (!isHeld(existing) || existing.part !== partName) this.heldSetChanged = true;
    const { lastObservedMs, releaseAtMs } = holdUntil(
      Date.parse(obs.lastObservedAt!),
      existing,
      origin.graceMs,
    );
    const part = this.o.parts.write(partName, origin.source, now, releaseAtMs, content);
    this.o.store.saveClaim(
      {
        domain: obs.domain,
        address: obs.address,
        ownerNode: claim.spec.ownerNode,
        subscription: origin.subscription,
        part: partName,
        state: 'active',
        lastObservedMs,
        releaseAtMs,
        teardown: null,
        ...((cause ?? existing?.trace) ? { trace: cause ?? existing?.trace } : {}),
      },
      now,
    );
    return part;
  }

  /**
   * An address the batch says is gone (inside the caller's transaction): its held claim starts releasing,
   * keeping the plugin's teardown plans for the release; the release time stays where the last
   * observation put it.
   */
  markGone(obs: AddressState, plans: PlansByAddress, now: number, cause?: TraceContext): void {
    const existing = this.o.store.claim(obs.domain, obs.address);
    if (!isHeld(existing) || !steersClaim(existing, obs)) return;
    const teardown = teardownPlans(plans, obs.address);
    this.o.store.saveClaim(
      {
        ...existing,
        state: 'releasing',
        teardown: teardown.length ? teardown : existing.teardown,
        ...(cause ? { trace: cause } : {}),
      },
      now,
    );
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
    if (!isHeld(held) || held.ownerNode !== event.sourceNode) return;
    const now = this.o.clock.now();
    const { lastObservedMs, releaseAtMs } = holdUntil(now, held, parseDuration(sub.spec.teardown.grace));
    this.o.store.saveClaim({ ...held, state: 'active', teardown: null, lastObservedMs, releaseAtMs }, now);
    this.o.store.setPartExpiry(held.part, releaseAtMs, now);
    this.scheduleRelease();
  }

  /** After claims changed: the no-observe set follows the held claims, and the timer the next release. */
  changed(): void {
    this.refreshNoObserve();
    this.scheduleRelease();
  }

  /** No feedback loop: the held claims' addresses are this node's no-observe set. */
  refreshNoObserve(): void {
    if (!this.heldSetChanged) return;
    // Cleared first: a claim taken while this reads is flagged again and read by the next refresh.
    this.heldSetChanged = false;
    try {
      this.o.noObserve.replace('claims', noObserveEntries(this.o.store.heldClaimAddresses()));
    } catch (err) {
      this.heldSetChanged = true;
      throw err;
    }
  }

  /** Release every claim whose grace has run out: its part leaves the config, its teardown plan appears. */
  releaseDue(): void {
    const now = this.o.clock.now();
    const released: { drafts: LocalDraft[]; cause: TraceContext | undefined }[] = [];
    try {
      for (const c of this.o.store.dueReleases(now))
        released.push({ drafts: this.release(c, now), cause: c.trace });
    } finally {
      // Announcements of the releases that committed, even when a later one was refused; each in the
      // trace of what last moved its claim.
      for (const r of released) if (r.drafts.length) this.o.emit(r.drafts, r.cause);
    }
    this.changed();
  }

  private release(c: ClaimRow, now: number): LocalDraft[] {
    const part = this.o.store.part(c.part);
    const teardown = c.teardown ?? (part ? undoPlans(part) : []);
    this.heldSetChanged = true;
    const { drafts, written } = this.o.store.transact(() => {
      this.o.store.saveClaim({ ...c, state: 'released', teardown: null }, now);
      this.o.store.releasePart(c.part, now);
      this.o.store.forgetAnnouncements(c.part);
      if (!teardown.length || !part) return { drafts: [] };
      const graceMs = graceOf(this.o.config(), c.subscription);
      const teardownPart = this.o.parts.write(`${c.part}-teardown`, part.source, now, now + graceMs, {
        resources: [],
        directives: [],
        actionPlans: teardown,
      });
      const announced = this.o.parts.announce(teardownPart, now);
      return { drafts: announced.drafts, written: { part: teardownPart, fresh: announced.fresh } };
    });
    // Committed: the released part's unstarted executions are cancelled, its teardown submitted.
    runBackground('handing a released part to the executor', this.o.log, () => {
      this.o.plans?.released(c.part);
      if (written) this.o.plans?.written(written.part, written.fresh, c.trace);
    });
    this.o.metrics?.claimsReleased.inc();
    this.o.log('info', 'claim released after its grace', {
      address: c.address,
      domain: c.domain,
      part: c.part,
      lastObservedAt: new Date(c.lastObservedMs).toISOString(),
    });
    return drafts;
  }

  private scheduleRelease(): void {
    this.o.clock.clear(this.releaseTimer);
    this.releaseTimer = undefined;
    const next = this.o.store.nextReleaseMs();
    if (next === undefined) return;
    this.armRelease(Math.max(0, next - this.o.clock.now()));
  }

  private armRelease(delayMs: number): void {
    this.releaseTimer = this.o.clock.setTimeout(() => {
      this.releaseTimer = undefined;
      // A refused write must not end the daemon: the due releases stay due and are tried again.
      if (!runBackground('releasing claims after their grace', this.o.log, () => this.releaseDue()))
        this.armRelease(RELEASE_RETRY_MS);
    }, delayMs);
  }
}
