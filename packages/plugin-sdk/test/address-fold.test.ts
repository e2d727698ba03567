// The one fold of client-address events: keyed by (domain, address), ordered observed-before-expired at
// equal times, and the same answer in any arrival order; the plugin-side helper reads it as changes.
import { describe, expect, it } from 'vitest';
import { collectAddressChanges } from '../src/domain/observations.js';
import { addressKey, foldAddressEvents } from '../src/protocol/address-fold.js';
import type { Event } from '../src/protocol/schemas/event.js';

const T = '2026-11-27T06:00:00.000Z';
const event = (id: string, kind: 'observed' | 'expired', domain: string, ip: string, at = T): Event => ({
  id,
  group: 'edge',
  sourceNode: `node-${id}`,
  type: `routerd.client.ipv4.${kind}`,
  observedAt: at,
  payload: { address: `${ip}/32`, domain, ownerSide: 'onprem', source: 'arp' },
});
const summary = (events: Event[]) =>
  foldAddressEvents(events).addresses.map(
    (a) => `${a.key} ${a.present ? 'present' : 'absent'} ${a.ownerNode}`,
  );

describe('foldAddressEvents', () => {
  it('keys by (domain, address): the same address in two domains is two clients', () => {
    expect(
      summary([event('a', 'observed', 'lan', '10.88.60.9'), event('b', 'expired', 'dmz', '10.88.60.9')]),
    ).toEqual(['dmz/10.88.60.9/32 absent node-b', 'lan/10.88.60.9/32 present node-a']);
    expect(addressKey('lan', '10.88.60.9')).toBe(addressKey('lan', '10.88.60.9/32'));
  });

  it('at equal times an observation comes before an expiry, then ids decide: one answer for any arrival order', () => {
    const events = [
      event('b', 'expired', 'lan', '10.88.60.9'),
      event('a', 'observed', 'lan', '10.88.60.9'),
      event('d', 'observed', 'dmz', '10.88.60.9'),
      event('c', 'observed', 'dmz', '10.88.60.9'),
    ];
    const expected = ['dmz/10.88.60.9/32 present node-d', 'lan/10.88.60.9/32 absent node-b'];
    expect(summary(events)).toEqual(expected);
    expect(summary([...events].reverse())).toEqual(expected);
    expect(summary([events[2]!, events[0]!, events[3]!, events[1]!])).toEqual(expected);
  });

  it('a later observation wins over an earlier expiry; the newest observation time is kept', () => {
    const later = '2026-11-27T06:00:01.000Z';
    const [state] = foldAddressEvents([
      event('x', 'observed', 'lan', '10.88.60.9', later),
      event('y', 'expired', 'lan', '10.88.60.9'),
    ]).addresses;
    expect(state).toMatchObject({ present: true, lastObservedAt: later, index: 0 });
    expect(state!.events.map((e) => e.id)).toEqual(['y', 'x']);
  });

  it('leaves out other types and malformed payloads, saying why', () => {
    const fold = foldAddressEvents([
      { ...event('o', 'observed', 'lan', '10.88.60.9'), type: 'vendor.thing.happened' },
      { ...event('m', 'observed', 'lan', '10.88.60.9'), payload: { address: '10.88.60.0/24' } },
    ]);
    expect(fold.addresses).toEqual([]);
    expect(fold.skipped.map((s) => [s.index, s.kind, s.pointer, s.summary])).toEqual([
      [0, 'other-type', '', 'event o of type vendor.thing.happened is not about client addresses: ignored'],
      [1, 'malformed', '/payload/address', 'event m: 10.88.60.0/24 is a network, not a single address (/32)'],
    ]);
  });
});

describe('collectAddressChanges', () => {
  it('reads the fold: an expiry at the same time as the observation makes the address absent', () => {
    const { changes } = collectAddressChanges([
      event('b', 'expired', 'lan', '10.88.60.9'),
      event('a', 'observed', 'lan', '10.88.60.9'),
    ]);
    expect(changes.map((c) => [c.domain, c.address, c.state, c.lastObservedAt, c.path])).toEqual([
      ['lan', '10.88.60.9/32', 'absent', T, '/spec/events/0'],
    ]);
  });

  it('refuses to capture an address a batch shows in two domains, naming both', () => {
    const { changes, diagnostics } = collectAddressChanges([
      event('a', 'observed', 'lan', '10.88.60.9'),
      event('b', 'observed', 'dmz', '10.88.60.9'),
      event('c', 'observed', 'lan', '10.88.60.10'),
    ]);
    expect(changes.map((c) => `${c.domain}/${c.address}`)).toEqual(['lan/10.88.60.10/32']);
    expect(diagnostics).toEqual([
      expect.objectContaining({
        severity: 'error',
        summary: '10.88.60.9/32 is observed in domains dmz, lan in one batch: not captured',
      }),
    ]);
  });
});
