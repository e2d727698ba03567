// The ADR's invariants are pure functions: each checked here on plain values, no store and no clock.
import { type AddressState, foldAddressEvents } from '@routerd/plugin-sdk';
import { describe, expect, it, vi } from 'vitest';
import type { DynamicOverridePolicy } from '../../src/config/index.js';
import {
  type Claim,
  checkMasks,
  checkNoConflict,
  checkResult,
  checkSingleWriter,
  type HeldClaims,
  holdUntil,
  noObserveEntries,
} from '../../src/dynamic/invariants.js';
import { describeOrigin } from '../../src/dynamic/origin.js';
import type { ClaimRow, StoredPart } from '../../src/store/dynamic-parts.js';

const origin = describeOrigin({ plugin: 'p' }, { groups: [] } as never);
const claim = (ownerNode: string): Claim => ({
  apiVersion: 'net.routerd.net/v1alpha1',
  kind: 'RemoteAddressClaim',
  metadata: { name: 'onprem-10-88-60-9' },
  spec: { address: '10.88.60.9/32', domain: 'lan', ownerNode },
});
const seen = (sourceNode: string): Map<string, AddressState> =>
  new Map(
    foldAddressEvents([
      {
        id: 'e',
        group: 'edge',
        sourceNode,
        type: 'routerd.client.ipv4.observed',
        observedAt: '2026-11-27T06:00:00Z',
        payload: { address: '10.88.60.9/32', domain: 'lan', ownerSide: 'onprem', source: 'arp' },
      },
    ]).addresses.map((a) => [a.key, a]),
  );
const held = (ownerNode: string, part: string, state: ClaimRow['state'] = 'active'): ClaimRow => ({
  domain: 'lan',
  address: '10.88.60.9/32',
  ownerNode,
  subscription: '',
  part,
  state,
  lastObservedMs: 1000,
  releaseAtMs: 2000,
  teardown: null,
});

/** The store's answers: the claim held for the address, and the one held in the part being written. */
const heldAs = (claimed?: ClaimRow, inPart?: ClaimRow): HeldClaims => ({
  heldClaim: () => claimed,
  heldClaimInPart: () => inPart,
});

describe('single writer per (domain, address)', () => {
  it('needs the owner’s observation among the run’s events', () => {
    expect(checkSingleWriter([claim('onprem')], new Map(), origin, heldAs())?.reason).toMatch(
      /no event given to this run observed it/,
    );
    expect(checkSingleWriter([claim('other')], seen('onprem'), origin, heldAs())?.reason).toMatch(
      /only the observing side may own an address/,
    );
  });

  it('refuses another owner, or the same owner through another part, while a claim is held', () => {
    const other = checkSingleWriter([claim('onprem')], seen('onprem'), origin, heldAs(held('cloud', 'x')));
    expect(other).toMatchObject({ holder: 'cloud', part: 'onprem-10-88-60-9' });
    expect(
      checkSingleWriter([claim('onprem')], seen('onprem'), origin, heldAs(held('onprem', 'sub-10-88-60-9')))
        ?.reason,
    ).toMatch(/through part sub-10-88-60-9/);
    expect(
      checkSingleWriter(
        [claim('onprem')],
        seen('onprem'),
        origin,
        heldAs(held('onprem', 'plugin-p-10-88-60-9')),
      ),
    ).toBeUndefined();
    expect(
      checkSingleWriter([claim('onprem')], seen('onprem'), origin, heldAs(held('cloud', 'x', 'released'))),
    ).toBeUndefined();
  });

  it('a part holds one claim: the same address in another domain is refused while the part holds it', () => {
    const lan = held('onprem', 'plugin-p-10-88-60-9');
    const guestClaim = { ...claim('onprem'), spec: { ...claim('onprem').spec, domain: 'guest' } };
    const guestSeen = new Map(
      [...seen('onprem').values()].map((a) => {
        const g = { ...a, domain: 'guest', key: a.key.replace('lan', 'guest') };
        return [g.key, g];
      }),
    );
    expect(checkSingleWriter([guestClaim], guestSeen, origin, heldAs(undefined, lan))).toEqual({
      reason:
        '10.88.60.9/32 in guest would be held by part plugin-p-10-88-60-9, which holds 10.88.60.9/32 in lan for onprem (a part holds one claim): the claim is refused while that one is held',
      holder: 'onprem',
      part: 'onprem-10-88-60-9',
    });
    // The part's own claim writes it again.
    expect(checkSingleWriter([claim('onprem')], seen('onprem'), origin, heldAs(lan, lan))).toBeUndefined();
  });
});

describe('conflicts and masks', () => {
  const route = { apiVersion: 'net.routerd.net/v1alpha1', kind: 'StaticRoute', metadata: { name: 'r' } };
  const part = {
    name: 'q',
    source: 'Plugin/q',
    body: { spec: { resources: [route] } },
  } as unknown as StoredPart;
  it('refuses a startup resource and one another source provides', () => {
    expect(checkNoConflict([route], 'Plugin/p', [route], [])?.reason).toMatch(/is a startup resource/);
    expect(checkNoConflict([route], 'Plugin/p', [], [part])?.reason).toMatch(/already provided by Plugin\/q/);
    expect(checkNoConflict([route], 'Plugin/q', [], [part])).toBeUndefined();
  });

  it('allows a mask only where a DynamicOverridePolicy names its source and target', () => {
    const policy = {
      resource: { spec: { sources: ['Plugin/*'], targets: [{ kind: 'Plugin', name: 'legacy' }] } },
    } as unknown as { resource: DynamicOverridePolicy };
    const mask = (name: string) => ({ op: 'mask' as const, target: { kind: 'Plugin', name }, reason: 'r' });
    expect(checkMasks([mask('legacy')], 'Plugin/p', [policy])).toBeUndefined();
    expect(checkMasks([mask('other')], 'Plugin/p', [policy])?.reason).toMatch(/not allowed/);
    expect(checkMasks([mask('legacy')], 'EventSubscription/s', [policy])?.reason).toMatch(/not allowed/);
  });
});

describe('hysteresis and no feedback loop', () => {
  it('a held claim’s last observation never moves back; its release is the grace after it', () => {
    expect(holdUntil(500, held('onprem', 'x'), 100)).toEqual({ lastObservedMs: 1000, releaseAtMs: 1100 });
    expect(holdUntil(5000, held('onprem', 'x'), 100)).toEqual({ lastObservedMs: 5000, releaseAtMs: 5100 });
    expect(holdUntil(500, held('onprem', 'x', 'released'), 100)).toEqual({
      lastObservedMs: 500,
      releaseAtMs: 600,
    });
  });

  it('every held claim’s address is one this node must not observe', () => {
    expect(noObserveEntries([held('onprem', 'x')])).toEqual([
      { cidr: '10.88.60.9/32', reason: 'RemoteAddressClaim held by x' },
    ]);
  });
});

describe('checkResult', () => {
  // Issue 18 (observe → claim): the no-conflict rule read and parsed every active part for every result,
  // a claim-only one included, whose claims that rule never looks at.
  it('reads no parts and no startup resources for a result that carries only claims', () => {
    const activeParts = vi.fn((): StoredPart[] => []);
    const startup = vi.fn(() => []);
    const verdict = checkResult({
      claims: [claim('onprem')],
      others: [],
      directives: [],
      seen: seen('onprem'),
      origin,
      held: heldAs(),
      startup,
      activeParts,
      policies: [],
    });
    expect(verdict).toBeUndefined();
    expect(activeParts).not.toHaveBeenCalled();
    expect(startup).not.toHaveBeenCalled();
  });

  it('still refuses another resource a different source already provides', () => {
    const other = {
      apiVersion: 'net.routerd.net/v1alpha1',
      kind: 'Route',
      metadata: { name: 'r' },
      spec: {},
    };
    const verdict = checkResult({
      claims: [],
      others: [other as never],
      directives: [],
      seen: new Map(),
      origin,
      held: heldAs(),
      startup: () => [],
      activeParts: () => [{ source: 'plugin/other', body: { spec: { resources: [other] } } } as never],
      policies: [],
    });
    expect(verdict?.invariant).toBe('no-conflict');
    expect(verdict?.refusal.reason).toMatch(/already provided by plugin\/other/);
  });
});
