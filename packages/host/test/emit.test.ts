import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { type FederationConfig, loadConfig, parseConfigText } from '../src/config/index.js';
import { EmitPipeline, EmitRefused } from '../src/events/emit.js';
import { capturedByConfig, NoObserveSet } from '../src/events/no-observe.js';
import { PublishCommits } from '../src/plugins/publish.js';
import { openDatabase } from '../src/store/database.js';
import { EventStore } from '../src/store/events.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');

function group(name: string, nodeName: string, captured: string[] = []): string {
  return `apiVersion: federation.routerd.net/v1alpha1
kind: EventGroup
metadata: { name: ${name} }
spec: { nodeName: ${nodeName}, captured: [${captured.join(', ')}] }
`;
}

function configOf(yaml: string): FederationConfig {
  const parsed = parseConfigText(yaml, 'test.yaml');
  expect(parsed.issues).toEqual([]);
  const groups = parsed.resources.filter(
    (r) => r.resource.kind === 'EventGroup',
  ) as FederationConfig['groups'];
  return {
    files: ['test.yaml'],
    groups,
    peers: [],
    subscriptions: [],
    plugins: [],
    policies: [],
    actionPolicies: [],
  };
}

function setup(yaml = group('lab', 'cloud-1', ['10.88.60.0/24'])) {
  const clock = new ManualClock(T0);
  const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'routerd-emit-')), 'routerd.db'));
  const store = new EventStore(db, clock);
  let config = configOf(yaml);
  const noObserve = new NoObserveSet();
  noObserve.replace('config', capturedByConfig(config));
  const pipeline = new EmitPipeline({ store, clock, noObserve, config: () => config });
  return { clock, db, store, pipeline, noObserve, setConfig: (c: FederationConfig) => (config = c) };
}

const observed = (address: string) => ({
  type: 'routerd.client.ipv4.observed',
  ttl: '300s',
  payload: { address, domain: 'lan', ownerSide: 'onprem', source: 'arp' },
});

function refusal(fn: () => unknown): EmitRefused {
  try {
    fn();
  } catch (err) {
    if (err instanceof EmitRefused) return err;
    throw err;
  }
  throw new Error('expected EmitRefused');
}

describe('EmitPipeline', () => {
  it('fills group, sourceNode, a time-ordered id, observedAt and expiresAt from ttl', () => {
    const { pipeline, clock } = setup();
    const first = pipeline.emit(observed('10.88.61.9/32'));
    clock.advance(1);
    const second = pipeline.emit({ type: 'acme.thing.seen', payload: {} });
    expect(first.event).toMatchObject({
      group: 'lab',
      sourceNode: 'cloud-1',
      observedAt: '2026-03-01T00:00:00.000Z',
      expiresAt: '2026-03-01T00:05:00.000Z',
    });
    expect(first.event.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(second.event.id > first.event.id).toBe(true);
    expect(second.event.expiresAt).toBeUndefined();
  });

  it('validates the envelope and the well-known payload, with paths, and stores nothing', () => {
    const { pipeline, store } = setup();
    const bad = refusal(() =>
      pipeline.emitBatch([
        observed('10.88.61.9/32'),
        { ...observed('10.88.61.10/32'), payload: { address: 'nope' } },
      ]),
    );
    expect(bad.code).toBe('invalid_event');
    expect(bad.issues.map((i) => i.path)).toEqual([
      '/events/1/payload/address',
      '/events/1/payload/domain',
      '/events/1/payload/ownerSide',
      '/events/1/payload/source',
    ]);
    expect(store.count()).toBe(0);
    expect(refusal(() => pipeline.emit({ type: 'Bad Type', payload: {} })).issues[0]!.path).toBe('/type');
    expect(refusal(() => pipeline.emit({ type: 'a.b', payload: {}, extra: 1 })).issues[0]).toEqual({
      path: '/extra',
      message: 'is not a known field here: remove it or check its spelling',
    });
  });

  it('refuses bad TTLs: malformed, zero, combined with expiresAt, or already past', () => {
    const { pipeline } = setup();
    const message = (req: object) =>
      refusal(() => pipeline.emit({ type: 'a.b', payload: {}, ...req })).issues[0];
    expect(message({ ttl: '5 minutes' })).toMatchObject({
      path: '/ttl',
      message: expect.stringContaining('must be a duration'),
    });
    expect(message({ ttl: '0s' })).toEqual({ path: '/ttl', message: 'must be longer than 0 (was "0s")' });
    expect(message({ ttl: '1s', expiresAt: '2026-03-02T00:00:00Z' })!.path).toBe('/ttl');
    expect(message({ ttl: '1s', observedAt: '2026-02-01T00:00:00Z' })).toMatchObject({
      path: '/ttl',
      message: expect.stringContaining('already passed'),
    });
  });

  it.each([
    ['observedAt', '2026-13-01T00:00:00Z'],
    ['observedAt', '2026-02-30T00:00:00Z'],
    ['observedAt', '2026-03-01T00:00:60Z'],
    ['observedAt', '2026-03-01T24:00:00Z'],
    ['observedAt', '2026-03-01T00:00:00+99:99'],
    ['expiresAt', '2027-02-29T00:00:00Z'],
    ['ttl', '99999999999h'],
    ['ttl', `${'9'.repeat(40)}s`],
  ])('refuses an impossible %s (%s) naming the field, and stores nothing', (field, value) => {
    const { pipeline, store } = setup();
    const err = refusal(() => pipeline.emit({ type: 'a.b', payload: {}, [field]: value }));
    expect(err.code).toBe('invalid_event');
    expect(err.issues[0]!.path).toBe(`/${field}`);
    expect(store.count()).toBe(0);
  });

  it("accepts real dates at the edges: a leap day, an offset of +23:59, a year's last second", () => {
    const { pipeline, clock } = setup();
    clock.set(Date.parse('2028-02-29T12:00:00Z'));
    for (const observedAt of [
      '2028-02-29T00:00:00Z',
      '2028-02-29T00:00:00.123456789+23:59',
      '2027-12-31T23:59:59Z',
    ])
      expect(pipeline.emit({ type: 'a.b', payload: {}, observedAt }).status).toBe('stored');
  });

  it("refuses an observation stamped later than this node's clock by more than the group's replayWindow, naming the field", () => {
    const { pipeline, store } = setup();
    const ahead = (ms: number) => new Date(T0 + ms).toISOString();
    // Within the replay window (5m by default): what a peer accepts.
    expect(pipeline.emit({ type: 'a.b', payload: {}, observedAt: ahead(5 * 60_000) }).status).toBe('stored');
    const message = (observedAt: string, extra = {}) =>
      refusal(() => pipeline.emitBatch([{ type: 'a.b', payload: {}, observedAt, ...extra }])).issues;
    // Without a TTL nothing else bounded it: peers refuse it (time-in-future), so its delivery stayed
    // pending for ever, and retention keeps an event whose delivery is pending.
    for (const observedAt of [ahead(5 * 60_000 + 1), '2100-01-01T00:00:00Z'])
      expect(message(observedAt)).toEqual([
        {
          path: '/events/0/observedAt',
          message: `is later than this node's clock (2026-03-01T00:00:00.000Z) by more than EventGroup lab's replayWindow (5m): an observation cannot be in the future, and peers refuse it`,
        },
      ]);
    expect(store.count()).toBe(1);
  });

  it("refuses an expiry further away than the group's maxEventTtl (24h by default), naming the field", () => {
    const { pipeline, store } = setup();
    expect(refusal(() => pipeline.emit({ type: 'a.b', payload: {}, ttl: '25h' })).issues[0]).toMatchObject({
      path: '/ttl',
      message: expect.stringContaining('maxEventTtl (24h)'),
    });
    expect(
      refusal(() => pipeline.emit({ type: 'a.b', payload: {}, expiresAt: '2026-03-03T00:00:00Z' })).issues[0]!
        .path,
    ).toBe('/expiresAt');
    expect(pipeline.emit({ type: 'a.b', payload: {}, ttl: '24h' }).status).toBe('stored');
    expect(store.count()).toBe(1);
  });

  it("refuses an id that belongs to a peer's event: id_conflict, the whole batch, nothing stored or refreshed", () => {
    const { pipeline, store, clock } = setup();
    const peers = {
      id: 'peer-event-1',
      group: 'lab',
      sourceNode: 'onprem-1',
      type: 'routerd.client.ipv4.observed',
      payload: { address: '10.88.61.9/32', domain: 'lan', ownerSide: 'onprem', source: 'arp' },
      observedAt: new Date(clock.now()).toISOString(),
      expiresAt: new Date(clock.now() + 60_000).toISOString(),
    };
    store.insert([peers]);
    // Same id, same payload, a later expiry: from this node it would be a refresh of another node's fact.
    const err = refusal(() =>
      pipeline.emitBatch([
        { type: 'a.b', payload: {} },
        { id: 'peer-event-1', type: peers.type, payload: peers.payload, ttl: '1h' },
      ]),
    );
    expect(err.code).toBe('id_conflict');
    expect(err.issues).toEqual([
      {
        path: '/events/1/id',
        message: expect.stringContaining('from node "onprem-1"; differs in sourceNode'),
      },
    ]);
    expect(store.count()).toBe(1);
    expect(store.lookup('peer-event-1')!.event.expiresAt).toBe(peers.expiresAt);
    // emitEach (a plugin's events/publish) refuses the conflicting draft alone.
    const verdicts = pipeline.emitEach([
      { type: 'a.b', payload: {} },
      { id: 'peer-event-1', type: peers.type, payload: peers.payload, ttl: '1h' },
    ]);
    expect(verdicts.map((v) => (v.ok ? v.outcome.status : v.code))).toEqual(['stored', 'id_conflict']);
    expect(store.lookup('peer-event-1')!.event.expiresAt).toBe(peers.expiresAt);
  });

  it('refuses *.observed for a captured address, naming the address and the reason, for any observed type', () => {
    const { pipeline, store } = setup();
    const err = refusal(() => pipeline.emit(observed('10.88.60.9/32')));
    expect(err.code).toBe('self_captured_address');
    expect(err.issues[0]!.path).toBe('/payload/address');
    expect(err.message).toContain(
      '10.88.60.9/32 is captured by this node (EventGroup/lab spec.captured 10.88.60.0/24)',
    );
    expect(
      refusal(() => pipeline.emit({ type: 'acme.neighbour.observed', payload: { address: '10.88.60.1' } }))
        .code,
    ).toBe('self_captured_address');
    // Not an observation, or not our address: accepted.
    pipeline.emit({ ...observed('10.88.60.9/32'), type: 'routerd.client.ipv4.expired' });
    pipeline.emit(observed('10.88.61.9/32'));
    expect(store.count()).toBe(2);
  });

  it('lets a later source (active claims) extend the no-observe set', () => {
    const { pipeline, noObserve } = setup();
    noObserve.replace('claims', [{ cidr: '192.0.2.7/32', reason: 'RemoteAddressClaim/onprem-192-0-2-7' }]);
    expect(refusal(() => pipeline.emit(observed('192.0.2.7/32'))).message).toContain(
      'RemoteAddressClaim/onprem-192-0-2-7',
    );
    noObserve.replace('claims', []);
    expect(pipeline.emit(observed('192.0.2.7/32')).status).toBe('stored');
  });

  it('needs a group when several are configured, and refuses an unknown one', () => {
    const { pipeline } = setup(`${group('lab', 'cloud-1')}---\n${group('dmz', 'cloud-1-dmz')}`);
    expect(refusal(() => pipeline.emit({ type: 'a.b', payload: {} })).issues[0]).toEqual({
      path: '/group',
      message: 'is required: several EventGroups are configured (lab, dmz)',
    });
    expect(
      refusal(() => pipeline.emit({ type: 'a.b', payload: {}, group: 'nope' })).issues[0]!.message,
    ).toContain('is not a configured EventGroup');
    expect(pipeline.emit({ type: 'a.b', payload: {}, group: 'dmz' }).event.sourceNode).toBe('cloud-1-dmz');
  });

  it('reads the config on every emit, so a reload applies to the next request', () => {
    const { pipeline, setConfig } = setup();
    setConfig(configOf(group('lab', 'renamed-1')));
    expect(pipeline.emit({ type: 'a.b', payload: {} }).event.sourceNode).toBe('renamed-1');
  });

  it('refuses an event over the size limit', () => {
    const { pipeline } = setup();
    const err = refusal(() => pipeline.emit({ type: 'a.b', payload: { blob: 'x'.repeat(70_000) } }));
    expect(err.issues[0]!.message).toContain('at most 65536 bytes');
  });

  it.each([
    ['an undeclared field (a misspelt ttl)', { ttll: '1h' }, '/events/1/ttll'],
    ['a group that is not a name', { group: 'Lab!' }, '/events/1/group'],
    ['a date no calendar has', { observedAt: '2026-02-30T00:00:00Z' }, '/events/1/observedAt'],
    ['a payload that is an array', { payload: [1] }, '/events/1/payload'],
  ])('refuses %s in a batch, naming the field', (_name, fields, path) => {
    const { pipeline, store } = setup();
    const err = refusal(() =>
      pipeline.emitBatch([
        { type: 'a.b', payload: {} },
        { type: 'a.b', payload: {}, ...fields },
      ]),
    );
    expect(err.issues.map((i) => i.path)).toContain(path);
    expect(store.count()).toBe(0);
  });

  it("refuses an expiry before the observation with the envelope's words, and names the event", () => {
    const { pipeline, clock } = setup();
    const at = (ms: number) => new Date(clock.now() + ms).toISOString();
    const err = refusal(() =>
      pipeline.emitBatch([
        { type: 'a.b', payload: {}, ttl: '1m' },
        { type: 'a.b', payload: {}, observedAt: at(240_000), expiresAt: at(120_000) },
      ]),
    );
    expect(err.issues).toEqual([
      { path: '/events/1/expiresAt', message: expect.stringContaining('after observedAt') },
    ]);
  });
});

it('loadConfig and the pipeline agree on captured addresses from files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'routerd-emit-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(file, group('lab', 'cloud-1', ['10.0.0.5']));
  const load = loadConfig([file]);
  expect(load.ok && capturedByConfig(load.config)).toEqual([
    { cidr: '10.0.0.5', reason: 'EventGroup/lab spec.captured' },
  ]);
});

describe("events/publish: an observer's calls that arrive together are committed together", () => {
  const thing = (id: string, n: number) => ({ id, type: 'acme.thing.seen', ttl: '10m', payload: { n } });
  /** Each commit's stored or refreshed events, in the order they were committed. */
  function commitsOf(store: EventStore): number[] {
    const sizes: number[] = [];
    store.onCommitted((committed) => sizes.push(committed.length));
    return sizes;
  }

  it('stores calls made back to back in one commit, and answers each as if it had come alone', async () => {
    const { store, pipeline } = setup();
    const commits = commitsOf(store);
    const publishes = new PublishCommits(pipeline);
    // 50 calls, none waiting for the one before (R-P3 asks an observer to wait; this one does not).
    const answers = Array.from({ length: 50 }, (_, i) => {
      const drafts: unknown[] = [thing(`e-${i}`, i)];
      if (i === 10) drafts.push({ ...thing('bad-date', 0), observedAt: '2026-02-30T00:00:00Z' });
      if (i === 20) drafts.push(thing('e-5', 5)); // the same fact as call 5's: a duplicate
      if (i === 30) drafts.push({ type: 'acme.thing.seen', ttl: '99999999999h', payload: {} });
      return publishes.publish({ events: drafts });
    });
    const results = await Promise.all(answers);
    expect(commits).toEqual([50]);
    expect(store.count()).toBe(50);
    expect(results[0]).toEqual({ accepted: ['e-0'], duplicates: [], rejected: [] });
    // Paths count within the call, not within the commit.
    expect(results[10]!.accepted).toEqual(['e-10']);
    expect(results[10]!.rejected).toEqual([
      { id: 'bad-date', reason: expect.stringContaining('/events/1/observedAt') },
    ]);
    expect(results[20]).toEqual({ accepted: ['e-20'], duplicates: ['e-5'], rejected: [] });
    expect(results[30]!.rejected).toEqual([
      { id: '/events/1', reason: expect.stringContaining('/events/1/ttl') },
    ]);
  });

  it('commits at most maxDrafts at a time (a larger call alone), giving the event loop a turn between commits', async () => {
    const { store, pipeline } = setup();
    const order: string[] = [];
    store.onCommitted((committed) => order.push(`commit ${committed.length}`));
    const publishes = new PublishCommits(pipeline, 10);
    let n = 0;
    const call = (size: number) =>
      publishes.publish({ events: Array.from({ length: size }, () => thing(`d-${n}`, n++)) });
    const answers = [call(4), call(4), call(12), call(3), call(3)];
    // Another task of the loop: it runs between the commits, never after all of them.
    const tick = () => {
      order.push('tick');
      if (order.filter((o) => o.startsWith('commit')).length < 3) setImmediate(tick);
    };
    setImmediate(tick);
    await Promise.all(answers);
    expect(order).toEqual(['commit 8', 'tick', 'commit 12', 'tick', 'commit 6']);
    expect(store.count()).toBe(26);
  });

  it('commits while a flood is still arriving once four commits wait: what it holds stays bounded', async () => {
    const { store, pipeline } = setup();
    const publishes = new PublishCommits(pipeline, 2);
    const answers = Array.from({ length: 30 }, (_, i) => publishes.publish({ events: [thing(`f-${i}`, i)] }));
    // Nothing has yielded to the event loop yet: all but the last few were committed as they came.
    const waiting = 30 - store.count();
    expect(waiting).toBeGreaterThan(0);
    expect(waiting).toBeLessThanOrEqual(2 * 4);
    await Promise.all(answers);
    expect(store.count()).toBe(30);
  });

  it('answers every call of a commit the store refuses with the error, each tried alone, none left waiting', async () => {
    const { db, pipeline } = setup();
    const publishes = new PublishCommits(pipeline);
    const answers = [
      publishes.publish({ events: [thing('x-1', 1)] }),
      publishes.publish({ events: [thing('x-2', 2)] }),
    ];
    db.close();
    const settled = await Promise.allSettled(answers);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect(String((settled[0] as PromiseRejectedResult).reason)).toMatch(/database connection is not open/);
  });
});
