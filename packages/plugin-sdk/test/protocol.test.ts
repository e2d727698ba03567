import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  capabilityViolations,
  checkPluginResult,
  cidrContains,
  Event,
  hostAddress,
  IPV4_PATTERN,
  ipv4Number,
  ipv4ToInt,
  isIPv4,
  MAX_EVENT_BYTES,
  parseCidr,
  parseDuration,
  schemaCatalog,
  toJsonSchema,
  validate,
  validateEventPayload,
} from '../src/protocol/index.js';
import { makeEvent, makeRequest } from '../src/testing/index.js';
import { SDK_VERSION } from '../src/version.js';

const observed = (address: string) =>
  makeEvent({
    type: 'routerd.client.ipv4.observed',
    payload: { address, domain: 'lan', ownerSide: 'onprem', source: 'arp' },
  });

describe('event envelope', () => {
  it('accepts a well-formed event', () => {
    expect(validate(Event, observed('10.88.60.9/32')).ok).toBe(true);
  });

  it('refuses a bad id with the field path', () => {
    const r = validate(Event, { ...observed('10.88.60.9/32'), id: 'has space' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues[0]?.path).toBe('/id');
  });

  it('refuses an event over 64 KiB', () => {
    const ev = makeEvent({ type: 'x.big', payload: { blob: 'a'.repeat(MAX_EVENT_BYTES) } });
    const r = validate(Event, ev);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues[0]?.message).toMatch(/65536 bytes/);
  });

  it('refuses expiresAt before observedAt', () => {
    const r = validate(Event, { ...observed('10.0.0.1/32'), expiresAt: '2000-01-01T00:00:00Z' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues[0]?.path).toBe('/expiresAt');
  });

  it('orders expiresAt after observedAt by instant, whatever the spelling', () => {
    const at = (observedAt: string, expiresAt: string) =>
      validate(Event, { ...observed('10.0.0.1/32'), observedAt, expiresAt }).ok;
    // One length, both UTC: compared as text.
    expect(at('2026-01-01T00:00:00.900Z', '2026-01-01T00:00:00.901Z')).toBe(true);
    expect(at('2026-01-01T00:00:00.900Z', '2026-01-01T00:00:00.900Z')).toBe(false);
    expect(at('2026-01-02T00:00:00Z', '2026-01-01T23:59:59Z')).toBe(false);
    // Different lengths or offsets: text order would mislead, the instants decide.
    expect(at('2026-01-01T00:00:00.9Z', '2026-01-01T00:00:00.10Z')).toBe(false);
    expect(at('2026-01-01T00:00:00.1Z', '2026-01-01T00:00:00.95Z')).toBe(true);
    expect(at('2026-01-01T01:00:00+02:00', '2026-01-01T00:30:00Z')).toBe(true);
    expect(at('2026-01-01T00:30:00Z', '2026-01-01T01:00:00+02:00')).toBe(false);
  });

  it('checks well-known payloads: address must be a /32', () => {
    const issues = validateEventPayload('routerd.client.ipv4.observed', {
      address: '10.88.60.0/24',
      domain: 'lan',
      ownerSide: 'onprem',
      source: 'arp',
    });
    expect(issues.map((i) => i.path)).toEqual(['/payload/address']);
    expect(validateEventPayload('vendor.unknown.type', { anything: 1 })).toEqual([]);
  });
});

describe('results and capabilities', () => {
  const result = (status: Record<string, unknown>) => ({
    apiVersion: 'plugin.routerd.net/v1alpha1',
    kind: 'PluginResult',
    metadata: {},
    status: { observedAt: '2026-11-27T06:00:00Z', ...status },
  });

  it('validates RemoteAddressClaim resources by their own schema', () => {
    const bad = checkPluginResult(
      result({
        resources: [
          {
            apiVersion: 'net.routerd.net/v1alpha1',
            kind: 'RemoteAddressClaim',
            metadata: { name: 'onprem-10-0-0-1' },
            spec: { address: '10.0.0.1', domain: 'lan', ownerNode: 'onprem' },
          },
        ],
      }),
    );
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.issues[0]?.path).toBe('/status/resources/0/spec/address');
  });

  it('refuses action plans that are not dry-run', () => {
    const plan = {
      name: 'p',
      provider: 'aws',
      action: 'assign-secondary-ip',
      mode: 'execute',
      idempotencyKey: 'k',
      riskLevel: 'low',
      target: { nicRef: 'eni-1' },
      auth: { mode: 'instance-identity' },
      basedOn: [],
      preconditions: [],
      expectedEffects: [],
      steps: [],
    };
    const r = checkPluginResult(result({ actionPlans: [plan] }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues[0]?.path).toBe('/status/actionPlans/0/mode');
  });

  it('names the capability each output field needs', () => {
    const status = { observedAt: 'x', resources: [{}], actionPlans: [{}], events: [] } as never;
    expect(capabilityViolations(status, ['propose.dynamicConfig'])).toEqual([
      { field: 'actionPlans', capability: 'propose.providerAction' },
    ]);
    expect(capabilityViolations(status, ['propose.dynamicConfig', 'propose.providerAction'])).toEqual([]);
  });

  it('makeRequest builds a valid request', () => {
    expect(
      validate(
        schemaCatalog['plugin-request.schema.json']!,
        makeRequest({ events: [observed('10.0.0.2/32')] }),
      ).ok,
    ).toBe(true);
  });
});

describe('helpers', () => {
  it('parses durations', () => {
    expect(parseDuration('300s')).toBe(300_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(() => parseDuration('5 minutes')).toThrow(/invalid duration/);
  });

  it('reads a duration the same the first time, when it is kept, and past what is kept', () => {
    // More spellings than are kept (64), each asked twice: the second answer comes from what is kept,
    // or from reading it again once the kept ones were dropped.
    const spellings = Array.from({ length: 150 }, (_, i) => [`${i + 1}m`, (i + 1) * 60_000] as const);
    for (const round of [1, 2])
      for (const [text, ms] of spellings) expect(parseDuration(text), `${text}, round ${round}`).toBe(ms);
    // A spelling longer than what is kept, twice; and an invalid one is refused every time.
    const long = '1h'.repeat(40);
    expect(parseDuration(long)).toBe(40 * 3_600_000);
    expect(parseDuration(long)).toBe(40 * 3_600_000);
    for (const round of [1, 2])
      expect(() => parseDuration('5x'), `round ${round}`).toThrow(/invalid duration/);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('1.5s')).toBe(1500);
  });

  it('reads an IPv4 address exactly where IPV4_PATTERN accepts it', () => {
    const edge = [
      '0.0.0.0',
      '255.255.255.255',
      '10.88.60.9',
      '1.2.3.4',
      '256.1.1.1',
      '1.1.1.256',
      '01.1.1.1',
      '1.1.1.01',
      '1.1.1.00',
      '00.0.0.0',
      '1.1.1',
      '1.1.1.1.1',
      '1..1.1',
      '.1.1.1',
      '1.1.1.',
      '',
      '1.1.1.1 ',
      ' 1.1.1.1',
      '1.1.1.1/32',
      '1.1.1.1\n',
      '１.1.1.1',
      '1.1.1.-1',
      '1.1.1.+1',
      '999.1.1.1',
      '1000.1.1.1',
      '25.250.205.199',
      '249.1.1.1',
      '0.00.0.0',
      '1e2.1.1.1',
      '0x1.1.1.1',
    ];
    // Random near-addresses: three to five parts, each an octet spelled right or nearly.
    const parts = [
      '0',
      '00',
      '01',
      '7',
      '9',
      '10',
      '99',
      '100',
      '199',
      '200',
      '249',
      '250',
      '255',
      '256',
      '260',
      '300',
      '999',
      '1000',
      '',
    ];
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const random = Array.from({ length: 20_000 }, () =>
      Array.from({ length: 3 + next(3) }, () => parts[next(parts.length)]).join('.'),
    );
    let accepted = 0;
    for (const text of [...edge, ...random]) {
      const valid = IPV4_PATTERN.test(text);
      expect(isIPv4(text), JSON.stringify(text)).toBe(valid);
      if (!valid) {
        expect(ipv4Number(text), JSON.stringify(text)).toBeUndefined();
        expect(() => ipv4ToInt(text)).toThrow(/not an IPv4 address/);
        continue;
      }
      accepted++;
      const octets = text.split('.').map(Number) as [number, number, number, number];
      expect(ipv4ToInt(text), text).toBe(((octets[0] * 256 + octets[1]) * 256 + octets[2]) * 256 + octets[3]);
    }
    expect(accepted).toBeGreaterThan(300);
    expect(ipv4ToInt('255.255.255.255')).toBe(2 ** 32 - 1);
  });

  it('takes the address out of an address or a CIDR', () => {
    expect(hostAddress('10.88.60.9/32')).toBe('10.88.60.9');
    expect(hostAddress('10.88.60.9')).toBe('10.88.60.9');
    expect(hostAddress('10.88.60.0/24/8')).toBe('10.88.60.0');
    expect(hostAddress('')).toBe('');
  });

  it('matches CIDRs', () => {
    expect(cidrContains('10.88.60.0/24', '10.88.60.9')).toBe(true);
    expect(cidrContains('10.88.60.0/24', '10.88.61.9')).toBe(false);
    expect(cidrContains('0.0.0.0/0', '192.0.2.1')).toBe(true);
    // The address as its number (read once by a caller checking many ranges): the same answers.
    expect(cidrContains('10.88.60.0/24', ipv4ToInt('10.88.60.9'))).toBe(true);
    expect(cidrContains(parseCidr('10.88.60.0/24'), ipv4ToInt('10.88.61.9'))).toBe(false);
  });
});

describe('published JSON Schemas', () => {
  it('are committed and current for every catalogue entry', () => {
    for (const [file, schema] of Object.entries(schemaCatalog)) {
      const committed = JSON.parse(readFileSync(new URL(`../schema/${file}`, import.meta.url), 'utf8'));
      expect(committed, file).toEqual(toJsonSchema(schema, file));
    }
  });

  it('SDK_VERSION matches package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(SDK_VERSION).toBe(pkg.version);
  });
});
