// The schemas that carry rules of their own (query strings, cross-field requests, the key-file format): what
// they accept, and that a refusal names the field.
import { isArkErrors } from '@routerd/plugin-sdk';
import { describe, expect, it } from 'vitest';
import {
  DeliveriesQuery,
  DoctorQuery,
  DynamicConfigPart,
  eventFilterToQuery,
  ListEventsQuery,
  MAX_LIST_LIMIT,
  RedeliverRequest,
} from '../src/index.js';
import { generateSecret, parseSecretText, SecretFileError } from '../src/keys/index.js';

/** The refusal's summary, or the value when it was accepted. */
const refusal = (out: unknown) => (isArkErrors(out) ? out.summary : undefined);

describe('query strings', () => {
  it('an EventFilter survives the trip through its query string', () => {
    const filter = { type: 'routerd.client.ipv4.observed', group: 'lab', includeExpired: true, limit: 5 };
    const query = Object.fromEntries(new URLSearchParams(eventFilterToQuery(filter).slice(1)));
    expect(ListEventsQuery(query)).toEqual(filter);
  });

  it('a limit is an integer from 1 to MAX_LIST_LIMIT, named when it is not', () => {
    expect(DeliveriesQuery({ limit: String(MAX_LIST_LIMIT) })).toEqual({ limit: MAX_LIST_LIMIT });
    for (const limit of ['0', String(MAX_LIST_LIMIT + 1), '1.5', 'x'])
      expect(refusal(DeliveriesQuery({ limit }))).toMatch(/^limit /);
  });

  it('an unknown parameter is refused, not ignored', () => {
    expect(refusal(DoctorQuery({ probe: 'false', prob: 'false' }))).toMatch(/prob must be removed/);
    expect(DoctorQuery({ probe: 'false' })).toEqual({ probe: false });
  });
});

describe('RedeliverRequest', () => {
  it('takes one event, or every failed delivery', () => {
    expect(RedeliverRequest({ eventId: '01KB6Y8Q0W3J5H0T8CZ3R6Q9XA' })).toEqual({
      eventId: '01KB6Y8Q0W3J5H0T8CZ3R6Q9XA',
    });
    expect(RedeliverRequest({ status: 'failed', since: '1h' })).toEqual({ status: 'failed', since: '1h' });
  });

  it.each([
    [{}, /^eventId /],
    [{ eventId: '01KB6Y8Q0W3J5H0T8CZ3R6Q9XA', status: 'failed' }, /^status /],
    [{ eventId: '01KB6Y8Q0W3J5H0T8CZ3R6Q9XA', since: '1h' }, /^since /],
  ])('refuses %j, naming the field', (body, field) => {
    expect(refusal(RedeliverRequest(body))).toMatch(field);
  });
});

describe('DynamicConfigPart', () => {
  const part = {
    apiVersion: 'config.routerd.net/v1alpha1',
    kind: 'DynamicConfigPart',
    metadata: { name: 'clients-10-88-60-9' },
    spec: {
      source: 'EventSubscription/clients',
      generation: 1,
      observedAt: '2026-11-27T06:00:00Z',
      expiresAt: null,
      digest: 'abc',
      resources: [],
      directives: [{ op: 'mask', target: { kind: 'EventPeer', name: 'old' }, reason: 'replaced' }],
      actionPlans: [],
    },
  };

  it('is a schema now, not a Record: a part is checked field by field', () => {
    expect(DynamicConfigPart(part)).toEqual(part);
    expect(refusal(DynamicConfigPart({ ...part, kind: 'ConfigPart' }))).toMatch(/^kind /);
    expect(refusal(DynamicConfigPart({ ...part, spec: { ...part.spec, generation: 0 } }))).toMatch(
      /^spec\.generation /,
    );
    expect(
      refusal(DynamicConfigPart({ ...part, spec: { ...part.spec, directives: [{ op: 'drop' }] } })),
    ).toMatch(/^spec\.directives\[0\]/);
  });
});

describe('the key-file format', () => {
  it('reads what it generates; several lines are a rotation, the first signs', () => {
    const [a, b] = [generateSecret(), generateSecret()];
    const keys = parseSecretText(`# rotated\n${a}\n\n${b}\n`);
    expect(keys.map((k) => k.bytes.length)).toEqual([32, 32]);
    expect(keys[0]!.fingerprint).not.toBe(keys[1]!.fingerprint);
  });

  it('names the file and the line of a bad key', () => {
    expect(() => parseSecretText(`${generateSecret()}\nwhsec_short\n`, '/etc/routerd/edge.key')).toThrow(
      new SecretFileError(
        '/etc/routerd/edge.key:2: expected whsec_ followed by base64 of 24 to 64 bytes (generate one with `routerctl keys generate`)',
      ),
    );
  });
});
