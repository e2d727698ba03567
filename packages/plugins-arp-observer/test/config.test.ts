import { isArkErrors, validate } from '@routerd/plugin-sdk';
import { describe, expect, it } from 'vitest';
import { ArpObserverConfig, toSettings } from '../src/config.js';
import { ClientFilter } from '../src/filters.js';

describe('config', () => {
  it('fills every default from the one required field', () => {
    const config = ArpObserverConfig({ domains: [{ name: 'lan', cidrs: ['10.88.60.0/24'] }] });
    if (isArkErrors(config)) throw new Error(config.summary);
    expect(config).toEqual({
      domains: [{ name: 'lan', cidrs: ['10.88.60.0/24'] }],
      ownerSide: 'onprem',
      ttl: '300s',
      absentAfter: '180s',
      resyncEvery: '30s',
      leasePollEvery: '10s',
      sources: { neighbours: true, procArp: false, dnsmasq: null, iscDhcpd: null, kea: null },
      flapDamping: {
        enabled: true,
        penaltyPerFlap: 1000,
        suppressAbove: 2000,
        reuseBelow: 750,
        halfLife: '15m',
        maxSuppress: '60m',
      },
      exclude: [],
      captured: [],
      ipCommand: ['ip'],
    });
    const s = toSettings(config);
    expect([s.ttlMs, s.refreshEveryMs, s.absentAfterMs]).toEqual([300_000, 150_000, 180_000]);
    // RFC 2439's defaults; the cap makes 60 min from 750 at a 15 min half-life: 750 × 2⁴.
    expect(s.flapDamping).toEqual({
      penaltyPerFlap: 1000,
      suppressAbove: 2000,
      reuseBelow: 750,
      halfLifeMs: 900_000,
      penaltyCap: 12_000,
    });
  });

  it('flap damping: off with enabled false, partial settings keep the other defaults', () => {
    const settings = (flapDamping: unknown) => {
      const c = ArpObserverConfig({ domains: [{ name: 'lan', cidrs: ['10.88.60.0/24'] }], flapDamping });
      if (isArkErrors(c)) throw new Error(c.summary);
      return toSettings(c).flapDamping;
    };
    expect(settings({ enabled: false })).toBeUndefined();
    expect(settings({ halfLife: '5m' })).toMatchObject({ halfLifeMs: 300_000, reuseBelow: 750 });
  });

  it('flap damping: bad settings are refused at the field to change', () => {
    const problems = (flapDamping: unknown) => {
      const r = validate(
        ArpObserverConfig,
        { domains: [{ name: 'lan', cidrs: ['10.0.0.0/8'] }], flapDamping },
        '/config',
      );
      return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
    };
    expect(problems({ penaltyPerFlap: 0 })).toEqual([
      expect.stringMatching(/^\/config\/flapDamping\/penaltyPerFlap: /),
    ]);
    expect(problems({ halfLife: 'often' })).toEqual([
      expect.stringMatching(/^\/config\/flapDamping\/halfLife: /),
    ]);
    expect(problems({ halfLife: '10ms' })).toEqual([
      expect.stringMatching(/^\/config\/flapDamping\/halfLife: .*at least 100ms/),
    ]);
    expect(problems({ reuseBelow: 2000 })).toEqual([
      expect.stringMatching(/^\/config\/flapDamping\/reuseBelow: .*less than suppressAbove \(2000\)/),
    ]);
    // 750 × 2^(10m/15m) ≈ 1190: the penalty could never pass 2000, so nothing would ever be damped.
    expect(problems({ maxSuppress: '10m' })).toEqual([
      expect.stringMatching(/^\/config\/flapDamping\/maxSuppress: .*cap 1190/),
    ]);
    expect(problems({ enabled: 'yes' })).toEqual([
      expect.stringMatching(/^\/config\/flapDamping\/enabled: /),
    ]);
  });

  it('refuses bad input with field paths', () => {
    const bad = (config: unknown) => {
      const r = validate(ArpObserverConfig, config, '/config');
      return r.ok ? [] : r.issues.map((i) => i.path);
    };
    expect(bad({ domains: [] })).toEqual(['/config/domains']);
    expect(bad({ domains: [{ name: 'lan', cidrs: ['10.88.60.0/33'] }] })).toEqual([
      '/config/domains/0/cidrs/0',
    ]);
    expect(bad({ domains: [{ name: 'lan', cidrs: ['10.0.0.0/8'] }], ttl: 'soon' })).toEqual(['/config/ttl']);
    expect(
      bad({
        domains: [
          { name: 'lan', cidrs: ['10.0.0.0/8'] },
          { name: 'lan', cidrs: ['10.1.0.0/16'] },
        ],
      }),
    ).toEqual(['/config/domains']);
    expect(
      bad({
        domains: [{ name: 'lan', cidrs: ['10.0.0.0/8'] }],
        sources: { neighbours: false, procArp: false },
      }),
    ).toEqual(['/config/sources']);
  });
});

describe('client filter (the no-feedback-loop invariant)', () => {
  const filter = new ClientFilter({
    domains: [
      { name: 'lan', cidrs: ['10.88.60.0/24'], interfaces: ['br0'] },
      { name: 'iot', cidrs: ['10.88.70.0/24'] },
    ],
    captured: ['10.88.60.50'],
    exclude: ['10.88.60.1', '10.88.60.240/28'],
  });
  filter.setOwnIdentity({ addresses: new Set(['10.88.60.2']), macs: new Set(['52:54:00:00:00:01']) });

  it('assigns domains by CIDR and, for neighbour entries, by interface', () => {
    expect(filter.classify('10.88.60.9', 'br0', '52:54:00:12:34:56')).toEqual({ domain: 'lan' });
    expect(filter.classify('10.88.60.9', 'eth1')).toEqual({ rejected: 'no-domain' });
    expect(filter.classify('10.88.60.9')).toEqual({ domain: 'lan' }); // a lease: no interface
    expect(filter.classify('10.88.70.5', 'anything')).toEqual({ domain: 'iot' });
    expect(filter.classify('192.0.2.1', 'br0')).toEqual({ rejected: 'no-domain' });
  });

  it('refuses our own addresses and MACs, captured and excluded addresses', () => {
    expect(filter.classify('10.88.60.2', 'br0')).toEqual({ rejected: 'own-address' });
    expect(filter.classify('10.88.60.77', 'br0', '52:54:00:00:00:01')).toEqual({ rejected: 'own-mac' });
    expect(filter.classify('10.88.60.50', 'br0')).toEqual({ rejected: 'captured' });
    expect(filter.classify('10.88.60.1', 'br0')).toEqual({ rejected: 'excluded' });
    expect(filter.classify('10.88.60.250', 'br0')).toEqual({ rejected: 'excluded' });
    expect([filter.isNeverAClient('10.88.60.50'), filter.isNeverAClient('10.88.60.9')]).toEqual([
      true,
      false,
    ]);
  });

  it('puts what is no IPv4 address in no domain instead of throwing', () => {
    for (const address of ['10.88.60.256', '010.88.60.9', 'fe80::1', '10.88.60', ''])
      expect(filter.classify(address, 'br0'), address).toEqual({ rejected: 'no-domain' });
    expect(filter.isNeverAClient('fe80::1')).toBe(false);
  });
});
