import type { Event } from '@routerd/plugin-sdk';
import { CloudEvent, ValidationError } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import { fromCloudEvent, toCloudEvent } from '../../src/federation/cloudevents.js';

const event: Event = {
  id: '01JDXRZ3Q4V8B6Y2N5K7M9P0AB',
  group: 'edge',
  sourceNode: 'onprem',
  type: 'routerd.client.ipv4.observed',
  subject: '10.88.60.9/32',
  dedupeKey: 'lan/10.88.60.9',
  payload: { address: '10.88.60.9/32', domain: 'lan', ownerSide: 'onprem', source: 'arp' },
  observedAt: '2026-11-27T06:00:00.000Z',
  expiresAt: '2026-11-27T06:05:00.000Z',
};

describe('CloudEvents mapping', () => {
  it('produces a CloudEvent the official SDK accepts, with every attribute mapped', () => {
    const wire = toCloudEvent(event);
    // The SDK validates spec rules (attribute names, types, extension naming) in its constructor.
    const ce = new CloudEvent(JSON.parse(JSON.stringify(wire)), true);
    expect(ce.validate()).toBe(true);
    expect(ce.id).toBe(event.id);
    expect(ce.source).toBe('urn:routerd:node:onprem');
    expect(ce.type).toBe(event.type);
    expect(ce.subject).toBe(event.subject);
    expect(new Date(ce.time!).toISOString()).toBe(event.observedAt);
    expect(ce.data).toEqual(event.payload);
    expect(ce.expirytime).toBe(event.expiresAt);
    expect(ce.routerdgroup).toBe('edge');
    expect(ce.routerddedupekey).toBe('lan/10.88.60.9');
  });

  it('round-trips through the SDK’s own serialisation', () => {
    const ce = new CloudEvent(JSON.parse(JSON.stringify(toCloudEvent(event))));
    const back = fromCloudEvent(JSON.parse(JSON.stringify(ce.toJSON())));
    expect(back).toEqual({ ok: true, event });
  });

  it('our extension names satisfy the spec (the SDK refuses bad ones)', () => {
    expect(() => new CloudEvent({ ...toCloudEvent(event), 'bad-name': 1 } as never)).toThrow(ValidationError);
  });

  it('reports problems with paths in CloudEvents terms', () => {
    const wire = { ...toCloudEvent(event), data: { ...event.payload, address: 'nope' }, time: 'yesterday' };
    const r = fromCloudEvent(wire, '/3');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.map((i) => i.path).sort()).toEqual(['/3/time']);
    const wrongSource = fromCloudEvent({ ...toCloudEvent(event), source: 'https://elsewhere' });
    expect(wrongSource.ok).toBe(false);
    if (!wrongSource.ok) expect(wrongSource.issues[0]?.path).toBe('/source');
  });
});
