// The plugin (SDK domain helpers) and the host read a batch of client-address events the same way: for
// every (domain, address), the plugin's "present/absent" and the host's claim ledger agree — with events
// at equal timestamps, in two domains, whatever order they arrive in. A real SQLite store; time is a
// manual clock.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Event, PluginResult } from '@routerd/plugin-sdk';
import { collectAddressChanges, remoteAddressClaim } from '@routerd/plugin-sdk/domain';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/index.js';
import { DynamicConfig } from '../../src/dynamic/service.js';
import { NoObserveSet } from '../../src/events/no-observe.js';
import { openDatabase } from '../../src/store/database.js';
import { DynamicStore } from '../../src/store/dynamic-parts.js';

const CONFIG = `apiVersion: federation.routerd.net/v1alpha1
kind: EventGroup
metadata: { name: edge }
spec: { nodeName: cloud }
---
apiVersion: plugin.routerd.net/v1alpha1
kind: Plugin
metadata: { name: claims }
spec: { executable: /usr/bin/true, capabilities: [propose.dynamicConfig, propose.providerAction] }
---
apiVersion: federation.routerd.net/v1alpha1
kind: EventSubscription
metadata: { name: clients }
spec:
  groupRef: edge
  match: { types: ['routerd.client.ipv4.*'] }
  trigger: { pluginRef: claims }
  teardown: { grace: 30m, observationTTL: 300s }
`;

const T0 = Date.parse('2026-11-27T06:00:00Z');
const T1 = T0 + 60_000;

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'fold-'));
  writeFileSync(join(dir, 'c.yaml'), CONFIG);
  const load = loadConfig([join(dir, 'c.yaml')]);
  if (!load.ok) throw new Error(JSON.stringify(load.issues));
  const clock = new ManualClock(T0);
  const store = new DynamicStore(openDatabase(join(dir, 'routerd.db')));
  const dynamic = new DynamicConfig({
    store,
    clock,
    noObserve: new NoObserveSet(),
    config: () => load.config,
    emit: () => {},
    log: () => {},
  });
  const subscription = load.config.subscriptions[0]!.resource;
  return { dynamic, store, clock, subscription };
}

const event = (id: string, kind: 'observed' | 'expired', domain: string, ip: string, at: number): Event => ({
  id,
  group: 'edge',
  sourceNode: 'onprem',
  type: `routerd.client.ipv4.${kind}`,
  observedAt: new Date(at).toISOString(),
  expiresAt: new Date(at + 300_000).toISOString(),
  payload: { address: `${ip}/32`, domain, ownerSide: 'onprem', source: 'arp' },
});

/** What an address-claim plugin built on the SDK proposes for a batch: a claim per present address. */
function pluginResult(events: readonly Event[], at: number): PluginResult {
  const { changes } = collectAddressChanges(events);
  return {
    apiVersion: 'plugin.routerd.net/v1alpha1',
    kind: 'PluginResult',
    metadata: {},
    status: {
      observedAt: new Date(at).toISOString(),
      resources: changes.filter((c) => c.state === 'present').map((c) => remoteAddressClaim(c, 'aws')),
    },
  };
}

/** Every order of a list (the batch is small). */
function orders<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((x, i) => orders([...items.slice(0, i), ...items.slice(i + 1)]).map((o) => [x, ...o]));
}

describe('one fold of a batch, shared by the plugin and the host', () => {
  // Held before the batch: both addresses claimed from an earlier observation.
  const held = [
    event('h1', 'observed', 'lan', '10.88.60.9', T0),
    event('h2', 'observed', 'dmz', '10.88.61.7', T0),
  ];
  // The batch, every event stamped T1: two held addresses both observed and expired in the same
  // millisecond, and a new one observed.
  const batch = [
    event('b1', 'expired', 'lan', '10.88.60.9', T1),
    event('b2', 'observed', 'lan', '10.88.60.9', T1),
    event('b3', 'observed', 'dmz', '10.88.61.7', T1),
    event('b4', 'expired', 'dmz', '10.88.61.7', T1),
    event('b5', 'observed', 'dmz', '10.88.61.8', T1),
  ];

  it('agree on every (domain, address) at equal timestamps, in any arrival order', () => {
    const seen = new Set<string>();
    // Every fifth of the 120 orders (each needs a fresh database): each event first, last and between.
    for (const order of orders(batch).filter((_, i) => i % 5 === 0)) {
      const { dynamic, store, clock, subscription } = setup();
      expect(dynamic.applyResult({ subscription }, held, pluginResult(held, T0)).rejected).toBeUndefined();
      clock.set(T1);
      const sdk = collectAddressChanges(order).changes;
      const outcome = dynamic.applyResult({ subscription }, order, pluginResult(order, T1));
      expect(outcome.rejected).toBeUndefined();
      const views = sdk.map((c) => {
        const claim = store.claim(c.payload.domain, c.address);
        return `${c.payload.domain}/${c.address}: plugin ${c.state}, host ${claim?.state}`;
      });
      // Present ⇔ the claim stays active; absent ⇔ its release starts (after the grace).
      for (const c of sdk)
        expect(store.claim(c.payload.domain, c.address)?.state, views.join('; ')).toBe(
          c.state === 'present' ? 'active' : 'releasing',
        );
      seen.add(views.join('; '));
    }
    // One answer for every order.
    expect([...seen]).toEqual([
      'lan/10.88.60.9/32: plugin absent, host releasing; dmz/10.88.61.7/32: plugin absent, host releasing; dmz/10.88.61.8/32: plugin present, host active',
    ]);
  });
});
