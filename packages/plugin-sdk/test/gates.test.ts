import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Type } from 'arktype';
import { describe, expect, it } from 'vitest';
import { checkRunResult, gated, messageChecks } from '../src/protocol/gates/checks.js';
import { type GateName, gates, pluginResultHolds } from '../src/protocol/gates/index.js';
import * as protocol from '../src/protocol/index.js';

// The precompiled gates (src/protocol/gates/compiled.js) stand in for the arktype schemas on every
// protocol message. They must say exactly what the schemas say: checked here on full samples of each
// message and on every sample mutated at every path with values chosen to sit on each rule's edge.

const now = '2026-11-27T06:00:00Z';
const later = '2026-11-27T07:05:00.123+01:00';

const event = {
  id: 'ev-observed-10-88-60-9-1',
  group: 'edge',
  sourceNode: 'onprem',
  type: 'routerd.client.ipv4.observed',
  subject: '10.88.60.9/32',
  dedupeKey: 'lan/10.88.60.9',
  payload: {
    address: '10.88.60.9/32',
    mac: '52:54:00:12:34:56',
    interface: 'lan0',
    hostname: 'laptop-7.lan',
    domain: 'lan',
    ownerSide: 'onprem',
    source: 'arp',
  },
  observedAt: now,
  expiresAt: later,
};

const draft = {
  id: 'ev-1',
  type: 'routerd.dynamic.part.accepted',
  subject: 's',
  dedupeKey: 'k',
  payload: {
    part: 'onprem-claims',
    source: 'cloud',
    eventIds: ['ev-1'],
    generation: 2,
    reason: 'r',
    holder: 'h',
    resources: ['x'],
  },
  observedAt: now,
  expiresAt: later,
  ttl: '5m',
};

const step = {
  id: 'assign',
  tool: 'aws',
  argv: ['ec2', 'assign-private-ip-addresses', '--allow-reassignment'],
  mutating: true,
  outcomes: {
    alreadyDone: ['already'],
    heldElsewhere: ['in use'],
    retry: ['Throttl'],
    refused: ['denied'],
    flags: 'i',
  },
  timeoutSeconds: 30,
};

const actionPlan = {
  name: 'aws-assign-10-88-60-9',
  provider: 'aws',
  action: 'assign-secondary-ip',
  mode: 'dry-run',
  idempotencyKey: 'k-1',
  riskLevel: 'medium',
  target: {
    nicRef: 'eni-1',
    address: '10.88.60.9/32',
    region: 'eu-west-1',
    resourceGroup: 'rg',
    nicName: 'nic',
    ipConfigName: 'ipc',
    compartmentId: 'c',
    subnetRef: 's',
    subnetCidr: '10.88.60.0/24',
  },
  auth: { mode: 'imds', fallback: ['env'] },
  basedOn: [{ eventId: 'ev-1', type: 'routerd.client.ipv4.observed', sourceNode: 'onprem', observedAt: now }],
  preconditions: [{ name: 'nic exists', expect: 'eni-1', ok: true }],
  expectedEffects: ['10.88.60.9 on eni-1'],
  steps: [step],
  verify: { tool: 'aws', argv: ['ec2', 'describe'], expect: '10.88.60.9' },
  undo: { action: 'unassign-secondary-ip', steps: [step] },
  phase: 'provision',
  notBefore: now,
};

const claim = {
  apiVersion: 'net.routerd.net/v1alpha1',
  kind: 'RemoteAddressClaim',
  metadata: { name: 'onprem-10-88-60-9', annotations: { a: 'b' }, labels: { l: 'v' } },
  spec: {
    address: '10.88.60.9/32',
    domain: 'lan',
    ownerNode: 'onprem',
    ownerSide: 'onprem',
    mac: '52:54:00:12:34:56',
    observedAt: now,
    provider: 'aws',
  },
};

const request = {
  apiVersion: 'plugin.routerd.net/v1alpha1',
  kind: 'PluginRequest',
  metadata: { name: 'aws-claims-20261127T060000Z', requestId: 'r-1' },
  spec: {
    trigger: { type: 'event', subscription: 'clients', topic: 't' },
    events: [event, { ...event, id: 'ev-2', type: 'example.other', payload: { any: [1, 'x'] } }],
    now,
    deadline: later,
  },
};

const result = {
  apiVersion: 'plugin.routerd.net/v1alpha1',
  kind: 'PluginResult',
  metadata: { name: 'aws-claims-20261127T060000Z', requestId: 'r-1' },
  status: {
    observedAt: now,
    ttl: '30m',
    resources: [
      claim,
      { apiVersion: 'example.net/v1beta2', kind: 'Other', metadata: { name: 'x.y' }, spec: { a: 1 } },
    ],
    directives: [{ op: 'mask', target: { kind: 'Peer', name: 'p' }, reason: 'moved' }],
    actionPlans: [actionPlan],
    events: [draft, { type: 'routerd.client.ipv4.expired', payload: event.payload }],
    diagnostics: [{ severity: 'warning', summary: 's', detail: 'd', path: '/spec' }],
  },
};

const samples: Record<GateName, unknown> = {
  InitializeParams: {
    protocolVersion: 1,
    supportedProtocolVersions: [1, 2],
    host: { name: 'routerd-eventd', version: '0.1.0' },
    plugin: { name: 'aws' },
    grantedCapabilities: ['observe.events', 'propose.dynamicConfig'],
    config: { region: 'eu-west-1', nested: { list: [1] } },
    limits: { maxMessageBytes: 1024, maxInFlight: 8, defaultTimeoutMs: 10_000 },
  },
  InitializeResult: {
    protocolVersion: 1,
    plugin: { name: 'aws', version: '1.0.0' },
    sdk: { name: '@routerd/plugin-sdk', version: '0.1.0' },
    capabilities: ['propose.providerAction'],
  },
  PluginRequest: request,
  PluginResult: result,
  PublishEnvelope: { events: [draft, 'anything'] },
  PublishResult: { accepted: ['a'], duplicates: ['b'], rejected: [{ id: 'c', reason: 'bad' }] },
  CancelledParams: { requestId: 'h:1', reason: 'deadline exceeded' },
  ProgressParams: { requestId: 7, progress: 1, total: 4, message: 'm' },
  MessageParams: { level: 'warn', logger: 'l', data: { x: 1 } },
  PingResult: {},
  ShutdownResult: {},
  Event: event,
  EventDraft: draft,
  ClientIpv4Payload: event.payload,
  DynamicPartOutcomePayload: draft.payload,
  ProviderActionPlannedPayload: {
    plan: 'p',
    provider: 'aws',
    action: 'assign-secondary-ip',
    idempotencyKey: 'k',
    address: '10.88.60.9/32',
    part: 'x',
  },
  ProviderActionOutcomePayload: {
    execution: '0b6f6c2e-1d7e-4d7a-9a55-6f1f2b8c9d10',
    plan: 'aws-assign-secondary-ip-10-88-60-9',
    provider: 'aws',
    action: 'assign-secondary-ip',
    phase: 'provision',
    idempotencyKey: 'aws|assign-secondary-ip|eni-1|10.88.60.9/32',
    state: 'succeeded',
    nic: 'eni-1',
    address: '10.88.60.9/32',
    ownerNode: 'onprem',
    reason: 'verified',
    finishedAt: '2026-12-01T12:00:00.000Z',
    undoOf: 'x0',
  },
  RemoteAddressClaim: claim,
};

const schemaOf = (name: GateName) => (protocol as unknown as Record<GateName, Type<unknown>>)[name];

/** Values on the edges of the rules these schemas use: types, lengths, patterns, dates, durations, sizes. */
const EDGES: unknown[] = [
  undefined,
  null,
  true,
  0,
  -1,
  1.5,
  2,
  2 ** 53,
  '',
  'x',
  'A',
  'a.b',
  'lan',
  'a'.repeat(63),
  'a'.repeat(64),
  'a'.repeat(256),
  'a'.repeat(257),
  '𝟘'.repeat(129), // 258 UTF-16 units, 129 code points: lengths count units, as arktype does
  [],
  [1],
  ['x'],
  {},
  { a: 1 },
  now,
  '2024-02-29T23:59:59.123456789+02:00',
  '2023-02-29T00:00:00Z',
  '2026-04-31T00:00:00Z',
  '2026-13-01T00:00:00Z',
  '2026-01-01T24:00:00Z',
  '2026-01-01T00:00:60Z',
  '2026-01-01 00:00:00Z',
  '275760-09-13T00:00:01Z',
  '0',
  '300ms',
  '1h30m',
  '87600h',
  '87601h',
  '1.5h',
  '10.88.60.9/32',
  '10.88.60.9',
  '10.88.60.0/24',
  '256.1.1.1/32',
  '52:54:00:12:34:56',
  '52:54:00:12:34:5G',
  'routerd.client.ipv4.observed',
  'Routerd.client',
  'assign-secondary-ip',
  'observe.events',
  'i',
];

type Path = (string | number)[];

function paths(value: unknown, at: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [at];
  const keys = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return [at, ...keys.flatMap((k) => paths((value as Record<string | number, unknown>)[k], [...at, k]))];
}

function replaced(value: unknown, path: Path, by: unknown): unknown {
  if (path.length === 0) return by;
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (by === undefined && !Array.isArray(node)) delete node[last];
  else node[last] = by;
  return copy;
}

interface Mutation {
  value: unknown;
  /** What stood at the path before, and what stands there now. */
  was: unknown;
  now: unknown;
}

function* mutationsOf(sample: unknown): Generator<Mutation> {
  for (const path of paths(sample)) {
    const was = path.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], sample);
    for (const edge of EDGES) yield { value: replaced(sample, path, edge), was, now: edge };
  }
}

const isObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);

const accepts = (schema: Type<unknown>, value: unknown) => !protocol.isArkErrors(schema(value));

describe('the precompiled gates', () => {
  it('accept each full sample, as their schemas do', () => {
    for (const name of Object.keys(gates) as GateName[]) {
      expect(accepts(schemaOf(name), samples[name]), `${name} schema`).toBe(true);
      expect(gates[name](samples[name]), `${name} gate`).toBe(true);
    }
  });

  it('agree with their schema on every sample mutated at every path', () => {
    let refused = 0;
    let arraysForObjects = 0;
    for (const name of Object.keys(gates) as GateName[]) {
      const schema = schemaOf(name);
      for (const { value, was, now } of mutationsOf(samples[name])) {
        const verdict = accepts(schema, value);
        if (!verdict) refused++;
        if (gates[name](value) === verdict) continue;
        const say = `${name}: the schema says ${verdict}, the gate does not, for ${JSON.stringify(value)}`;
        // Never more lenient than the schema: that would let through what the schema refuses.
        expect(verdict, say).toBe(true);
        // Stricter in one known place only: arktype takes an array for an object whose keys are all
        // optional ({}, Record<…>), JSON Schema's "object" does not. Such a value takes the slow path
        // and the schema's verdict stands (checks.ts), so what is accepted does not change.
        expect(Array.isArray(now) && isObject(was), say).toBe(true);
        arraysForObjects++;
      }
    }
    expect(refused).toBeGreaterThan(1000); // the mutations reach the rules, not only the happy path
    expect(arraysForObjects).toBeGreaterThan(0);
  });

  it('agree on the rules JSON Schema cannot say: event size and expiry order, real dates', () => {
    const big = { ...event, payload: { blob: 'x'.repeat(65_536) } };
    const backwards = { ...event, expiresAt: '2026-11-27T05:00:00Z' };
    const same = { ...event, expiresAt: event.observedAt };
    for (const value of [big, backwards, same]) {
      expect(accepts(protocol.Event, value)).toBe(false);
      expect(gates.Event(value)).toBe(false);
      const inRequest = { ...request, spec: { ...request.spec, events: [value] } };
      expect(gates.PluginRequest(inRequest)).toBe(false);
    }
    const justFits = { ...event, payload: { blob: '' } };
    const room = 65_536 - Buffer.byteLength(JSON.stringify(justFits));
    const exact = { ...event, payload: { blob: 'x'.repeat(room) } };
    expect(accepts(protocol.Event, exact)).toBe(true);
    expect(gates.Event(exact)).toBe(true);
  });

  it(`agree on how deep free-form JSON nests (${protocol.MAX_JSON_DEPTH} levels): payloads, resource specs, plugin config`, () => {
    /** A JSON object `levels` deep: `{}` is 1, `{"x": {}}` 2. */
    const nested = (levels: number): Record<string, unknown> => {
      let value: Record<string, unknown> = {};
      for (let i = 1; i < levels; i++) value = { x: value };
      return value;
    };
    const inPayload = (levels: number) => ({ ...event, payload: nested(levels) });
    const inSpec = (levels: number) => ({
      ...result,
      status: { ...result.status, resources: [{ ...result.status.resources[1], spec: nested(levels) }] },
    });
    const inConfig = (levels: number) =>
      ({ ...(samples.InitializeParams as object), config: nested(levels) }) as object;
    const deepest = protocol.MAX_JSON_DEPTH;
    for (const [gate, schema, make] of [
      [gates.Event, protocol.Event, inPayload],
      [gates.PluginResult, protocol.PluginResult, inSpec],
      [gates.InitializeParams, protocol.InitializeParams, inConfig],
    ] as const) {
      expect(gate(make(deepest))).toBe(true);
      expect(accepts(schema as Type, make(deepest))).toBe(true);
      expect(gate(make(deepest + 1))).toBe(false);
      expect(accepts(schema as Type, make(deepest + 1))).toBe(false);
      // Far deeper than any stack: refused, not a RangeError.
      expect(gate(make(200_000))).toBe(false);
    }
    const issues = protocol.validate(protocol.Event, inPayload(200_000));
    expect(issues.ok ? [] : issues.issues).toEqual([
      {
        path: '/payload',
        message: `payload must be JSON nested at most ${deepest} levels deep (was deeper)`,
      },
    ]);
  });

  it('check a run result as checkPluginResult does, second pass included', () => {
    const badPayload = structuredClone(result);
    (badPayload.status.events[1]!.payload as Record<string, unknown>).address = '10.88.60.9';
    const badClaim = structuredClone(result);
    (badClaim.status.resources[0]!.spec as Record<string, unknown>).ownerNode = 'Not A Name';
    for (const value of [result, badPayload, badClaim]) {
      expect(pluginResultHolds(value)).toBe(protocol.checkPluginResult(value).ok);
    }
    for (const { value, was, now } of mutationsOf(result)) {
      const verdict = protocol.checkPluginResult(value).ok;
      if (pluginResultHolds(value) !== verdict)
        expect(verdict && Array.isArray(now) && isObject(was)).toBe(true);
    }
  });
});

describe('checks made of gates', () => {
  it('give a refused value the issues its schema gives, paths and words alike', async () => {
    const bad = replaced(request, ['spec', 'events', 0, 'observedAt'], '2026-02-30T00:00:00Z');
    expect(await messageChecks.PluginRequest(bad)).toEqual(protocol.validate(protocol.PluginRequest, bad));
    const badResult = replaced(result, ['status', 'resources', 0, 'spec', 'address'], '10.88.60.9');
    expect(await checkRunResult(badResult)).toEqual(protocol.checkPluginResult(badResult));
  });

  it('answer an accepted value at once, with the value itself', () => {
    const out = messageChecks.PluginRequest(request);
    expect(out).toEqual({ ok: true, value: request });
    expect((out as { value: unknown }).value).toBe(request);
  });

  it("take the schema's word where the gate refuses what the schema accepts", async () => {
    const refusesAll = gated<unknown>('PingResult', () => false);
    expect(await refusesAll({})).toEqual({ ok: true, value: {} });
  });
});

describe('the plugin runtime', () => {
  it('starts and speaks the protocol without loading arktype', () => {
    const server = new URL('../dist/server/index.js', import.meta.url).href;
    const script = `
      import { PassThrough } from 'node:stream';
      const { definePlugin, serve } = await import(${JSON.stringify(server)});
      const input = new PassThrough(), output = new PassThrough();
      serve(definePlugin({ name: 'p', version: '1', capabilities: [], run: () => ({}) }), { input, output });
      const answers = [];
      output.on('data', (c) => answers.push(...String(c).trim().split('\\n').map((l) => JSON.parse(l))));
      const send = (m) => input.write(JSON.stringify({ jsonrpc: '2.0', ...m }) + '\\n');
      send({ id: 1, method: 'initialize', params: ${JSON.stringify(samples.InitializeParams)} });
      send({ method: 'notifications/initialized' });
      send({ id: 2, method: 'plugin/run', params: ${JSON.stringify({ ...request, spec: { ...request.spec, deadline: new Date(Date.now() + 3_600_000).toISOString() } })} });
      await new Promise((r) => setTimeout(r, 200));
      console.log(JSON.stringify({ ark: globalThis.$ark !== undefined, answers }));
    `;
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      encoding: 'utf8',
    });
    expect(out.stderr).toBe('');
    const { ark, answers } = JSON.parse(out.stdout);
    expect(answers.map((a: { id: number; result?: unknown }) => [a.id, 'result' in a])).toEqual([
      [1, true],
      [2, true],
    ]);
    expect(ark).toBe(false);
  });
});
