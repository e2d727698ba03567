// Issue 12, items 1, 4 and 5 against a real cloud daemon on loopback: an event id belongs to its source
// on every write path (a peer's signed push, the control API, a plugin's events/publish); every date
// and duration that enters is a real, finite one; a peer's clock cannot pin an event into the future.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_JSON_DEPTH } from '@routerd/plugin-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSecret, parseSecretText } from '../src/federation/secrets.js';
import { sign } from '../src/federation/signing.js';
import { controlRequest, freePort, TestDaemon, tempDir } from '../src/testing/index.js';

const FIXTURE = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const HOUR = 3_600_000;

function keyFile(dir: string, name: string): { path: string; keys: ReturnType<typeof parseSecretText> } {
  const text = `${generateSecret()}\n`;
  const path = join(dir, name);
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
  return { path, keys: parseSecretText(text) };
}

let root: string;
let cloud: TestDaemon;
let url: string;
let configFile: string;
let onpremKey: ReturnType<typeof keyFile>;
let otherKey: ReturnType<typeof keyFile>;
let baseConfig: string;

beforeAll(async () => {
  root = tempDir('routerd-hostile-');
  const group = keyFile(root, 'group.key');
  // Per-peer keys: even a member with a key of its own must not take over another member's event ids.
  onpremKey = keyFile(root, 'onprem.key');
  otherKey = keyFile(root, 'other.key');
  const port = await freePort();
  const peer = (name: string, key: string, peerPort: number) => `apiVersion: federation.routerd.net/v1alpha1
kind: EventPeer
metadata: { name: ${name} }
spec: { groupRef: edge, nodeName: ${name}, endpoint: "http://127.0.0.1:${peerPort}", auth: { secretFile: ${key} } }
`;
  baseConfig = [
    `apiVersion: federation.routerd.net/v1alpha1
kind: EventGroup
metadata: { name: edge }
spec:
  nodeName: cloud
  listen: { address: 127.0.0.1, port: ${port} }
  auth: { mode: hmac, secretFile: ${group.path} }
`,
    peer('onprem', onpremKey.path, await freePort()),
    peer('other', otherKey.path, await freePort()),
    `apiVersion: plugin.routerd.net/v1alpha1
kind: Plugin
metadata: { name: bad-result }
spec:
  executable: ${process.execPath}
  args: [${FIXTURE('result-plugin.mjs')}]
  capabilities: [propose.dynamicConfig]
  config:
    status: { observedAt: "2026-13-01T00:00:00Z", ttl: "99999999999h" }
`,
    `apiVersion: plugin.routerd.net/v1alpha1
kind: Plugin
metadata: { name: deep-result }
spec:
  executable: ${process.execPath}
  args: [${FIXTURE('result-plugin.mjs')}]
  capabilities: [propose.dynamicConfig]
  config: { status: { ttl: 10m }, specLevels: ${MAX_JSON_DEPTH + 1} }
`,
  ].join('---\n');
  configFile = join(root, 'cloud.yaml');
  writeFileSync(configFile, baseConfig);
  cloud = await TestDaemon.start({ configFiles: [configFile], stateDir: join(root, 'state') });
  url = `http://127.0.0.1:${port}/v1/events`;
});
afterAll(() => cloud?.stop());

let n = 0;
const iso = (ms: number) => new Date(ms).toISOString();
function ce(node: string, over: Record<string, unknown> = {}) {
  n++;
  return {
    specversion: '1.0',
    id: `ev-${n}`,
    source: `urn:routerd:node:${node}`,
    type: 'routerd.client.ipv4.observed',
    time: iso(Date.now()),
    expirytime: iso(Date.now() + 600_000),
    datacontenttype: 'application/json',
    data: { address: `10.88.60.${n}/32`, domain: 'lan', ownerSide: 'onprem', source: 'arp' },
    routerdgroup: 'edge',
    ...over,
  };
}

interface Answer {
  status: number;
  body: {
    accepted?: string[];
    duplicates?: string[];
    rejected?: { id: string; reason: string }[];
    error?: { code: string; issues?: { path: string; message: string }[] };
  };
}

/** A push signed by `node` with its own key, exactly as a peer's outbox sends it. */
async function push(node: 'onprem' | 'other', events: unknown[]): Promise<Answer> {
  const body = Buffer.from(JSON.stringify(events));
  const keys = node === 'onprem' ? onpremKey.keys : otherKey.keys;
  const headers = {
    ...sign(keys, `w-${Math.random().toString(36).slice(2)}`, Date.now() / 1000, body),
    'routerd-node': node,
    'content-type': 'application/cloudevents-batch+json',
  };
  const res = await fetch(url, { method: 'POST', headers, body });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

const stored = async (id: string) => (await controlRequest(cloud.socketPath, 'GET', `/v1/events/${id}`)).body;
const metrics = async () =>
  new Promise<string>((resolve, reject) => {
    import('node:http').then(({ request }) =>
      request({ socketPath: cloud.socketPath, path: '/metrics' }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => resolve(text));
      })
        .on('error', reject)
        .end(),
    );
  });

describe('an event id belongs to its source (real daemon, real signed pushes)', () => {
  it("refuses a peer's push that reuses another node's event id, and keeps the owner's event as it was", async () => {
    const original = ce('onprem');
    expect(await push('onprem', [original])).toMatchObject({
      status: 200,
      body: { accepted: [original.id] },
    });
    const before = await stored(original.id);

    // "other" re-sends the id as its own observation, with an expiry 20 hours later.
    const hijack = { ...original, source: 'urn:routerd:node:other', expirytime: iso(Date.now() + 20 * HOUR) };
    const fresh = ce('other');
    expect(await push('other', [hijack, fresh])).toEqual({
      status: 200,
      body: { accepted: [fresh.id], duplicates: [], rejected: [{ id: original.id, reason: 'id-conflict' }] },
    });
    expect(await stored(original.id)).toEqual(before);
    await cloud.waitForLog((l) => /id-conflict/.test(l.msg) && l.id === original.id && l.owner === 'onprem');
  });

  it('refuses the source itself when it reuses an id for a different fact, and accepts a true refresh', async () => {
    const original = ce('onprem');
    await push('onprem', [original]);
    const changed = { ...original, data: { ...original.data, address: '10.88.99.99/32' } };
    expect((await push('onprem', [changed])).body.rejected).toEqual([
      { id: original.id, reason: 'id-conflict' },
    ]);
    const later = iso(Date.now() + 20 * 60_000);
    expect((await push('onprem', [{ ...original, expirytime: later }])).body.accepted).toEqual([original.id]);
    expect((await stored(original.id)).event.expiresAt).toBe(later);
  });

  it("refuses a peer's push that would refresh this node's own event (its acknowledgements)", async () => {
    const own = await controlRequest(cloud.socketPath, 'POST', '/v1/events', {
      type: 'acme.cloud.note',
      payload: { n: 1 },
      ttl: '10m',
    });
    expect(own.status).toBe(201);
    const id = own.body.event.id as string;
    const replay = ce('onprem', {
      id,
      type: 'acme.cloud.note',
      data: { n: 1 },
      expirytime: iso(Date.now() + 20 * HOUR),
    });
    expect((await push('onprem', [replay])).body.rejected).toEqual([{ id, reason: 'id-conflict' }]);
    expect((await stored(id)).event).toEqual(own.body.event);
  });

  it("answers 409 id_conflict on the control API for a peer's id, naming the field, and changes nothing", async () => {
    const original = ce('onprem');
    await push('onprem', [original]);
    const before = await stored(original.id);
    const res = await controlRequest(cloud.socketPath, 'POST', '/v1/events', {
      id: original.id,
      type: original.type,
      payload: original.data,
      ttl: '20h',
    });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('id_conflict');
    expect(res.body.error.issues[0]).toMatchObject({
      path: '/id',
      message: expect.stringContaining('"onprem"'),
    });
    expect(await stored(original.id)).toEqual(before);
  });

  it('counts each refusal in /metrics', async () => {
    const text = await metrics();
    expect(text).toMatch(/routerd_event_id_conflicts_total\{origin="[a-z]+"\} [1-9]/);
    expect(text).toMatch(/routerd_receiver_events_rejected_total\{reason="id-conflict"\} [1-9]/);
  });
});

describe("time from a peer is bounded (the group's replay window and maxEventTtl)", () => {
  it('rejects an event stamped ten years ahead, one by one, and stores nothing of it', async () => {
    const future = ce('onprem', {
      time: iso(Date.now() + 87_600 * HOUR),
      expirytime: iso(Date.now() + 87_601 * HOUR),
    });
    const now = ce('onprem');
    expect(await push('onprem', [future, now])).toMatchObject({
      status: 200,
      body: { accepted: [now.id], rejected: [{ id: future.id, reason: 'time-in-future' }] },
    });
    expect((await controlRequest(cloud.socketPath, 'GET', `/v1/events/${future.id}`)).status).toBe(404);
  });

  it('caps a peer expiry at receipt + maxEventTtl (24h by default)', async () => {
    const pinned = ce('onprem', { expirytime: iso(Date.now() + 87_600 * HOUR) });
    const sent = Date.now();
    expect((await push('onprem', [pinned])).body.accepted).toEqual([pinned.id]);
    const expiresAt = Date.parse((await stored(pinned.id)).event.expiresAt);
    expect(expiresAt).toBeGreaterThan(sent + 23 * HOUR);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 24 * HOUR);
  });
});

describe('dates are real dates, durations finite (every entry point)', () => {
  it.each([
    ['time', '2026-13-01T00:00:00Z'],
    ['time', '2026-02-30T00:00:00Z'],
    ['time', '2026-03-01T00:00:60Z'],
    ['expirytime', '2026-03-01T00:00:00+99:99'],
  ])(
    'the receiver refuses an impossible %s (%s) with 400 naming it, storing nothing',
    async (field, value) => {
      const bad = ce('onprem', { [field]: value });
      const res = await push('onprem', [ce('onprem'), bad]);
      expect(res.status).toBe(400);
      expect(res.body.error?.code).toBe('malformed');
      expect(res.body.error?.issues?.[0]?.path).toBe(`/1/${field}`);
    },
  );

  it('the control API answers 400 (not 500) for an impossible observedAt or ttl, naming the field', async () => {
    for (const [field, value] of [
      ['observedAt', '2026-13-01T00:00:00Z'],
      ['ttl', '99999999999h'],
    ]) {
      const res = await controlRequest(cloud.socketPath, 'POST', '/v1/events', {
        type: 'acme.thing.seen',
        payload: {},
        [field!]: value,
      });
      expect(res.status).toBe(400);
      expect(res.body.error.issues[0].path).toBe(`/${field}`);
    }
  });

  it('a plugin result with an impossible observedAt and ttl is refused by name, and the run ends', async () => {
    const res = await controlRequest(cloud.socketPath, 'POST', '/v1/plugins/bad-result/run', {});
    expect(res.status).toBe(200);
    expect(res.body.run.outcome).not.toBe('succeeded');
    const text = JSON.stringify(res.body.run);
    expect(text).toContain('/status/observedAt');
    expect(text).toContain('/status/ttl');
    const runs = (await controlRequest(cloud.socketPath, 'GET', '/v1/plugins/runs?plugin=bad-result')).body
      .runs;
    expect(runs.length).toBeGreaterThan(0);
    expect(runs.every((r: { outcome?: string }) => r.outcome !== 'running')).toBe(true);
  });

  it("refuses one bad draft of a plugin's events/publish alone: the others are stored, a conflict is refused", async () => {
    const owned = ce('onprem');
    await push('onprem', [owned]);
    const drafts = [
      { id: 'pub-good', type: 'acme.thing.seen', payload: { n: 1 }, ttl: '10m' },
      { id: 'pub-bad-date', type: 'acme.thing.seen', payload: {}, observedAt: '2026-02-30T00:00:00Z' },
      { id: 'pub-huge-ttl', type: 'acme.thing.seen', payload: {}, ttl: '99999999999h' },
      { id: owned.id, type: owned.type, payload: owned.data, ttl: '20h' },
    ];
    writeFileSync(
      configFile,
      `${baseConfig}---
apiVersion: plugin.routerd.net/v1alpha1
kind: Plugin
metadata: { name: publisher }
spec:
  executable: ${process.execPath}
  args: [${FIXTURE('publisher-plugin.mjs')}]
  lifecycle: longLived
  capabilities: [observe.events]
  config: ${JSON.stringify({ drafts })}
`,
    );
    const before = await stored(owned.id);
    cloud.signal('SIGHUP');
    const verdicts = await cloud.waitForLog((l) => l.msg === 'plugin publisher: verdicts');
    // The plugin's own log fields may sit under one key of the daemon's line (they never overwrite its own).
    const fields = [verdicts, ...Object.values(verdicts)].find(
      (v): v is { result: unknown } => typeof v === 'object' && v !== null && 'result' in v,
    );
    const result = fields!.result as { accepted: string[]; rejected: { id: string; reason: string }[] };
    expect(result.accepted).toEqual(['pub-good']);
    expect(result.rejected.map((r) => r.id)).toEqual(['pub-bad-date', 'pub-huge-ttl', owned.id]);
    expect(result.rejected[0]!.reason).toContain('/events/1/observedAt');
    expect(result.rejected[1]!.reason).toContain('/events/2/ttl');
    expect(result.rejected[2]!.reason).toMatch(/^id-conflict: \/events\/3\/id/);
    expect((await stored('pub-good')).event.payload).toEqual({ n: 1 });
    expect(await stored(owned.id)).toEqual(before);
  });
});

describe(`JSON nested deeper than ${MAX_JSON_DEPTH} levels (every entry point)`, () => {
  /** `{"x":…{}…}`, `levels` deep, as text: JSON.stringify cannot write 30,000 levels. */
  const nestedText = (levels: number) => `${'{"x":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;
  const tooDeep = `must be JSON nested at most ${MAX_JSON_DEPTH} levels deep (was deeper)`;

  it('the control API answers 400 naming the payload, for 33 levels as for 30,000 (it was a 500: the size walk overflowed the stack)', async () => {
    for (const levels of [MAX_JSON_DEPTH + 1, 30_000]) {
      const res = await controlRequest(
        cloud.socketPath,
        'POST',
        '/v1/events/batch',
        `{"events":[{"type":"acme.thing.seen","ttl":"10m","payload":{"n":1}},{"type":"acme.thing.seen","ttl":"10m","payload":${nestedText(levels)}}]}`,
      );
      expect(res).toEqual({
        status: 400,
        body: {
          error: {
            code: 'invalid_event',
            message: `invalid event: /events/1/payload ${tooDeep}`,
            issues: [{ path: '/events/1/payload', message: tooDeep }],
          },
        },
      });
    }
    const atBound = await controlRequest(
      cloud.socketPath,
      'POST',
      '/v1/events',
      `{"type":"acme.thing.seen","ttl":"10m","payload":${nestedText(MAX_JSON_DEPTH)}}`,
    );
    expect(atBound.status).toBe(201);
  });

  it("a peer's push of an event nested too deep is refused by name (400), and the peer's next push is stored", async () => {
    const deep = ce('onprem', { type: 'acme.thing.seen', data: { marker: 1 } });
    const body = JSON.stringify([deep]).replace('{"marker":1}', nestedText(MAX_JSON_DEPTH + 1));
    const headers = {
      ...sign(
        onpremKey.keys,
        `w-${Math.random().toString(36).slice(2)}`,
        Date.now() / 1000,
        Buffer.from(body),
      ),
      'routerd-node': 'onprem',
      'content-type': 'application/cloudevents-batch+json',
    };
    const res = await fetch(url, { method: 'POST', headers, body });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Answer['body']).error?.issues).toEqual([
      { path: '/0/data', message: `payload ${tooDeep}` },
    ]);
    const next = ce('onprem');
    expect((await push('onprem', [next])).body.accepted).toEqual([next.id]);
  });

  it('a plugin result whose resource spec nests too deep is refused by name, and nothing of it is kept', async () => {
    const res = await controlRequest(cloud.socketPath, 'POST', '/v1/plugins/deep-result/run', {});
    expect(res.status).toBe(200);
    expect(res.body.run.outcome).not.toBe('succeeded');
    expect(JSON.stringify(res.body.run)).toContain('/status/resources/0/spec');
    expect(JSON.stringify(res.body.run)).toContain(tooDeep);
    const { parts } = (await controlRequest(cloud.socketPath, 'GET', '/v1/dynamic/parts')).body as {
      parts: { resources: string[] }[];
    };
    expect(Array.isArray(parts)).toBe(true);
    expect(parts.flatMap((p) => p.resources)).not.toContain('Deep/deep');
  });
});
