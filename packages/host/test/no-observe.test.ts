// The no-observe set (no feedback loop): which entry covers an address, for single addresses held by
// the thousand and for ranges, checked against a plain scan with the SDK's cidrContains.
import { cidrContains, ipv4ToInt } from '@routerd/plugin-sdk';
import { describe, expect, it } from 'vitest';
import { feedbackLoopIssue, type NoObserveEntry, NoObserveSet } from '../src/events/no-observe.js';

const claims = (n: number): NoObserveEntry[] =>
  Array.from({ length: n }, (_, i) => ({
    cidr: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`,
    reason: `claim ${i}`,
  }));

describe('NoObserveSet', () => {
  it('finds what a plain scan of every entry finds, for addresses in, next to and outside each entry', () => {
    const set = new NoObserveSet();
    const config: NoObserveEntry[] = [
      { cidr: '192.168.10.0/24', reason: 'range' },
      { cidr: '172.16.0.5', reason: 'bare address' },
      { cidr: '172.16.0.6/31', reason: '/31' },
      { cidr: '100.64.0.0/10', reason: 'wide' },
    ];
    const held = claims(3000);
    set.replace('config', config);
    set.replace('claims', held);
    const scan = (address: string) =>
      [...config, ...held].find((e) => cidrContains(e.cidr, address))?.cidr ?? null;
    const probes = [
      '192.168.10.0',
      '192.168.10.255',
      '192.168.11.0',
      '172.16.0.4',
      '172.16.0.5',
      '172.16.0.6',
      '172.16.0.7',
      '172.16.0.8',
      '100.63.255.255',
      '100.64.0.0',
      '100.127.255.255',
      '100.128.0.0',
      '10.0.11.183',
      '10.0.11.184',
      '10.0.11.185',
      '10.0.0.0',
      '10.1.0.0',
      '0.0.0.0',
      '255.255.255.255',
    ];
    for (const address of probes) expect(set.match(address)?.cidr ?? null, address).toBe(scan(address));
  });

  it('follows each replace: entries dropped stop matching, new ones match, other sources stay', () => {
    const set = new NoObserveSet();
    set.replace('config', [{ cidr: '192.168.10.0/24', reason: 'EventGroup/lab spec.captured' }]);
    set.replace('claims', claims(10));
    expect(set.match('10.0.0.9')?.reason).toBe('claim 9');
    set.replace('claims', claims(5));
    expect(set.match('10.0.0.9')).toBeUndefined();
    expect(set.match('10.0.0.4')?.reason).toBe('claim 4');
    expect(set.match('192.168.10.7')?.reason).toBe('EventGroup/lab spec.captured');
    set.replace('claims', []);
    expect(set.match('10.0.0.4')).toBeUndefined();
  });

  it('a /0 covers every address; sources are asked in the order they were first given', () => {
    const set = new NoObserveSet();
    set.replace('config', [{ cidr: '10.0.0.0/8', reason: 'config' }]);
    set.replace('claims', [{ cidr: '10.0.0.1/32', reason: 'claim' }]);
    expect(set.match('10.0.0.1')?.reason).toBe('config');
    set.replace('config', [{ cidr: '0.0.0.0/0', reason: 'everything' }]);
    expect(set.match('203.0.113.9')?.reason).toBe('everything');
  });

  it('is empty until a source holds an entry, and again once every source is emptied', () => {
    const set = new NoObserveSet();
    expect(set.empty).toBe(true);
    set.replace('config', []);
    expect(set.empty).toBe(true);
    set.replace('claims', claims(1));
    expect(set.empty).toBe(false);
    expect(set.match(ipv4ToInt('10.0.0.0'))?.reason).toBe('claim 0');
    set.replace('config', [{ cidr: '192.168.10.0/24', reason: 'range' }]);
    set.replace('claims', []);
    expect(set.empty).toBe(false);
    set.replace('config', []);
    expect(set.empty).toBe(true);
  });
});

describe('feedbackLoopIssue', () => {
  const observed = (address: unknown) => ({ type: 'routerd.client.ipv4.observed', payload: { address } });

  it('refuses an observation of a held address, in either spelling, and nothing once the set is emptied', () => {
    const set = new NoObserveSet();
    set.replace('claims', [{ cidr: '10.88.60.9/32', reason: 'claim' }]);
    expect(feedbackLoopIssue(observed('10.88.60.9/32'), set, '/events/0')?.path).toBe(
      '/events/0/payload/address',
    );
    expect(feedbackLoopIssue(observed('10.88.60.9'), set, '/events/0')).toBeDefined();
    expect(feedbackLoopIssue(observed('10.88.60.10/32'), set, '/events/0')).toBeUndefined();
    set.replace('claims', []);
    expect(feedbackLoopIssue(observed('10.88.60.9/32'), set, '/events/0')).toBeUndefined();
  });

  it('passes what is no IPv4 address, or no observation, without reading it as one', () => {
    const set = new NoObserveSet();
    set.replace('config', [{ cidr: '0.0.0.0/0', reason: 'everything' }]);
    for (const address of ['10.88.60.256', '010.88.60.9', '10.88.60', 'fe80::1', '', 7, null])
      expect(feedbackLoopIssue(observed(address), set, '')).toBeUndefined();
    expect(
      feedbackLoopIssue({ type: 'routerd.client.ipv4.expired', payload: { address: '10.0.0.1' } }, set, ''),
    ).toBeUndefined();
    expect(feedbackLoopIssue(observed('10.0.0.1'), set, '')?.message).toContain('everything 0.0.0.0/0');
  });
});
