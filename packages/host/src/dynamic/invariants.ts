/**
 * The ADR's invariants as pure functions. `DynamicConfig.applyResult` (the only way a result becomes
 * dynamic config) calls the checks for every result, whatever triggered it; the claim lifecycle uses the
 * hysteresis and no-feedback rules on every path that changes a claim.
 */
import type { AddressState, Directive, RemoteAddressClaim, Resource } from '@routerd/plugin-sdk';
import { addressKey } from '@routerd/plugin-sdk';
import type { DynamicOverridePolicy } from '../config/index.js';
import type { Invariant } from '../metrics.js';
import type { ClaimRow, StoredPart } from '../store/dynamic-parts.js';
import { claimPartName, type Origin } from './origin.js';

/** Why a result is refused; `part` names the refused claim (else the origin's prefix is used). */
export interface Refusal {
  reason: string;
  holder?: string;
  part?: string;
}

export type Claim = Resource & RemoteAddressClaim;
export const isClaim = (r: Resource): r is Claim => r.kind === 'RemoteAddressClaim';

/** A claim that still captures its address (a released one, or none, holds nothing). */
export const isHeld = (c: ClaimRow | undefined): c is ClaimRow => c !== undefined && c.state !== 'released';

/** The held claims a result's claims are checked against. */
export interface HeldClaims {
  /** The held claim of (domain, address), if any. */
  heldClaim: (domain: string, address: string) => ClaimRow | undefined;
  /** The held claim a part holds, if any. */
  heldClaimInPart: (part: string) => ClaimRow | undefined;
}

/**
 * Single writer per (domain, address): a claim must name the node that observed the address in the
 * events this run was given, and while a claim for the address is held, only the part holding it
 * may write it again — another owner, or the same owner through another source, is refused. A part
 * holds one claim: its name leaves the domain out (`onprem-clients-10-88-60-9`), so the same address in
 * another domain is refused while the part holds it, rather than overwriting it and being released with it.
 */
export function checkSingleWriter(
  claims: readonly Claim[],
  seen: ReadonlyMap<string, AddressState>,
  origin: Origin,
  { heldClaim, heldClaimInPart }: HeldClaims,
): Refusal | undefined {
  for (const claim of claims) {
    const part = claim.metadata.name;
    const obs = seen.get(addressKey(claim.spec.domain, claim.spec.address));
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
    const partName = claimPartName(origin, claim);
    const occupant = heldClaimInPart(partName);
    if (occupant && (occupant.domain !== obs.domain || occupant.address !== obs.address)) {
      return {
        reason: `${obs.address} in ${obs.domain} would be held by part ${partName}, which holds ${occupant.address} in ${occupant.domain} for ${occupant.ownerNode} (a part holds one claim): the claim is refused while that one is held`,
        holder: occupant.ownerNode,
        part,
      };
    }
    const held = heldClaim(obs.domain, obs.address);
    if (!isHeld(held)) continue;
    if (held.ownerNode !== claim.spec.ownerNode) {
      return {
        reason: `${claim.spec.address} in ${claim.spec.domain} is already claimed by ${held.ownerNode} (one writer per address): ${claim.spec.ownerNode}'s claim is refused`,
        holder: held.ownerNode,
        part,
      };
    }
    if (held.part !== partName) {
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
export function checkNoConflict(
  resources: readonly Resource[],
  source: string,
  startup: readonly Resource[],
  activeParts: readonly StoredPart[],
): Refusal | undefined {
  const id = (r: Resource) => `${r.kind}/${r.metadata.name}`;
  const startupIds = new Set(startup.map(id));
  const byOthers = new Map<string, string>();
  for (const p of activeParts) {
    if (p.source === source) continue;
    for (const r of p.body.spec.resources) byOthers.set(id(r), p.source);
  }
  for (const r of resources) {
    if (startupIds.has(id(r)))
      return {
        reason: `${id(r)} is a startup resource: a dynamic part cannot replace it (mask it through a DynamicOverridePolicy instead)`,
      };
    const other = byOthers.get(id(r));
    if (other) return { reason: `${id(r)} is already provided by ${other}: conflicting parts are refused` };
  }
  return undefined;
}

/** Whether some DynamicOverridePolicy lets `source` mask `target`. */
export function maskAllowed(
  policies: readonly { resource: DynamicOverridePolicy }[],
  source: string,
  target: { kind: string; name: string },
): boolean {
  const [kind] = source.split('/');
  return policies.some(({ resource: p }) => {
    const sourceOk = p.spec.sources.some((s) => s === source || s === `${kind}/*`);
    const targetOk = p.spec.targets.some(
      (t) => t.kind === target.kind && (t.name === undefined || t.name === target.name),
    );
    return sourceOk && targetOk;
  });
}

export function checkMasks(
  directives: readonly Directive[],
  source: string,
  policies: readonly { resource: DynamicOverridePolicy }[],
): Refusal | undefined {
  const refused = directives.find((d) => !maskAllowed(policies, source, d.target));
  return refused
    ? {
        reason: `mask of ${refused.target.kind}/${refused.target.name} by ${source} is not allowed by any DynamicOverridePolicy`,
      }
    : undefined;
}

/** What a result is checked against; the reads are lazy, so a refusal by an earlier rule costs none. */
export interface ResultToCheck {
  claims: readonly Claim[];
  others: readonly Resource[];
  directives: readonly Directive[];
  seen: ReadonlyMap<string, AddressState>;
  origin: Origin;
  held: HeldClaims;
  startup: () => readonly Resource[];
  activeParts: () => readonly StoredPart[];
  policies: readonly { resource: DynamicOverridePolicy }[];
}

/**
 * Every check a result must pass, in order; the first refusal wins and nothing of the result is kept.
 * The refusal names its invariant (a bounded metrics label).
 */
export function checkResult(r: ResultToCheck): { invariant: Invariant; refusal: Refusal } | undefined {
  const named = (invariant: Invariant, refusal: Refusal | undefined) => refusal && { invariant, refusal };
  return (
    named('single-writer', checkSingleWriter(r.claims, r.seen, r.origin, r.held)) ??
    // Only resources other than claims can conflict (claims answer to single-writer): a claim-only
    // result, the usual one, reads no parts (every active part, each parsed: O(parts) per result).
    named(
      'no-conflict',
      r.others.length > 0
        ? checkNoConflict(r.others, r.origin.source, r.startup(), r.activeParts())
        : undefined,
    ) ??
    named('mask-policy', checkMasks(r.directives, r.origin.source, r.policies))
  );
}

/**
 * Prompt provision, hysteretic de-provision: a claim is released `grace` after its last observation;
 * a held claim's last observation only moves forward (a re-observation pushes the release back).
 */
export function holdUntil(
  observedMs: number,
  held: ClaimRow | undefined,
  graceMs: number,
): { lastObservedMs: number; releaseAtMs: number } {
  const lastObservedMs = Math.max(observedMs, isHeld(held) ? held.lastObservedMs : 0);
  return { lastObservedMs, releaseAtMs: lastObservedMs + graceMs };
}

/** Only the owner's observations steer its claim: another node saying "gone" is no news of it. */
export const steersClaim = (held: ClaimRow, obs: AddressState) => held.ownerNode === obs.ownerNode;

/** No feedback loop: every held claim's address is one this node must not observe. */
export const noObserveEntries = (held: readonly Pick<ClaimRow, 'address' | 'part'>[]) =>
  held.map((c) => ({ cidr: c.address, reason: `RemoteAddressClaim held by ${c.part}` }));
