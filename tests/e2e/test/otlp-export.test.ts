// OTLP export (issue 21) from two real daemons to a local OTLP/HTTP collector: the spans of one
// observation's journey must link across the nodes under one trace id — the cloud's receive and run
// spans are children of the on-prem event's own span, the acknowledgement's span is a child of the same
// event, and on-prem's receive of the acknowledgement is its child — with each daemon's metrics beside.
// And a daemon that does not export must not load OpenTelemetry at all.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestDaemon } from '@routerd/host/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  claimsCloudExtras,
  emitObservedWithRouterctl,
  freePort,
  keyFile,
  newRoot,
  nodeConfig,
  routerctlJson,
  writeNodeFiles,
} from './support/federation.js';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from './support/otlp-receiver.js';

const OBSERVED = 'routerd.client.ipv4.observed';
const ACK = 'routerd.dynamic.part.accepted';
/** The EventGroup of nodeConfig with an OTLP endpoint. */
const exporting = (yaml: string, endpoint: string) =>
  yaml.replace(/(\n {2}auth: [^\n]*)/, `$1\n  otlp: { endpoint: '${endpoint}', exportInterval: 1s }`);

let collector: OtlpReceiver;
let eventId: string;

beforeAll(async () => {
  collector = await startOtlpReceiver();
  const root = newRoot();
  const key = keyFile(root);
  const [po, pc] = [await freePort(), await freePort()];
  const cloud = await TestDaemon.start(
    writeNodeFiles(
      root,
      'cloud',
      exporting(
        nodeConfig({ name: 'cloud', port: pc, key, peers: [{ name: 'onprem', port: po }] }),
        collector.url,
      ) + claimsCloudExtras,
    ),
  );
  const onprem = await TestDaemon.start(
    writeNodeFiles(
      root,
      'onprem',
      exporting(
        nodeConfig({
          name: 'onprem',
          port: po,
          key,
          peers: [{ name: 'cloud', port: pc, types: ['routerd.client.ipv4.*'] }],
        }),
        collector.url,
      ),
    ),
  );
  try {
    const emitted = emitObservedWithRouterctl(onprem.stateDir, '10.88.60.9/32', '-o', 'json');
    expect(emitted.code, emitted.stderr).toBe(0);
    eventId = (JSON.parse(emitted.stdout) as { event: { id: string } }).event.id;
    // The journey is over on-prem once the acknowledgement is back (expect.poll is for tests only).
    const kinds = () =>
      routerctlJson<{ steps: { kind: string }[] }>(onprem.stateDir, 'trace', eventId).steps.map(
        (s) => s.kind,
      );
    const until = Date.now() + 30_000;
    while (!kinds().includes('ack')) {
      if (Date.now() > until) throw new Error(`no acknowledgement on-prem: ${kinds().join(', ')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    // A stop flushes what is buffered: every span of the journey is at the collector after this.
    await onprem.stop();
    await cloud.stop();
  }
}, 90_000);
afterAll(() => collector?.close());

const find = (what: Partial<ReceivedSpan> & { attr?: Record<string, string> }) => {
  const { attr = {}, ...fields } = what;
  const found = collector.spans.filter(
    (s) =>
      Object.entries(fields).every(([k, v]) => s[k as keyof ReceivedSpan] === v) &&
      Object.entries(attr).every(([k, v]) => s.attributes[k] === v),
  );
  expect(found, JSON.stringify({ what, spans: collector.spans }, null, 1)).toHaveLength(1);
  return found[0]!;
};

describe('OTLP export across two daemons', () => {
  it("links the journey's spans across both nodes under one trace id", () => {
    expect(collector.refused).toEqual([]);
    const emitted = find({ node: 'onprem', name: `emit ${OBSERVED}`, attr: { 'routerd.event.id': eventId } });
    expect(emitted.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(emitted.parentSpanId).toBe(''); // born here: the root of its trace
    const trace = { traceId: emitted.traceId };

    // On-prem: the delivery to the cloud, under the event.
    const delivered = find({ ...trace, node: 'onprem', name: `deliver ${OBSERVED}` });
    expect(delivered).toMatchObject({
      parentSpanId: emitted.spanId,
      attributes: { 'routerd.peer': 'cloud' },
    });
    expect(delivered.endMs).toBeGreaterThanOrEqual(delivered.startMs);

    // The cloud: received and run, both children of the on-prem event's own span.
    const received = find({ ...trace, node: 'cloud', name: `receive ${OBSERVED}` });
    expect(received.parentSpanId).toBe(emitted.spanId);
    const run = find({ ...trace, node: 'cloud', name: 'run claims' });
    expect(run).toMatchObject({
      parentSpanId: emitted.spanId,
      attributes: { 'routerd.subscription': 'onprem-clients', 'routerd.run.outcome': 'succeeded' },
    });
    expect(run.status.code ?? 0).not.toBe(2); // not ERROR

    // The acknowledgement the cloud wrote is a child of the observation, and on-prem's receipt of it a
    // child of the acknowledgement: the trace comes back across the link.
    const ack = find({ ...trace, node: 'cloud', name: `emit ${ACK}` });
    expect(ack.parentSpanId).toBe(emitted.spanId);
    const ackReceived = find({ ...trace, node: 'onprem', name: `receive ${ACK}` });
    expect(ackReceived.parentSpanId).toBe(ack.spanId);

    // Every span of the trace hangs from a span of the trace.
    const ids = new Set(collector.spans.filter((s) => s.traceId === emitted.traceId).map((s) => s.spanId));
    for (const s of collector.spans.filter((x) => x.traceId === emitted.traceId && x.parentSpanId !== ''))
      expect(ids, `${s.node} ${s.name}`).toContain(s.parentSpanId);
  });

  it("exports each daemon's metrics, the ones /metrics serves", () => {
    for (const node of ['onprem', 'cloud']) {
      const names = new Set(collector.metrics.filter((m) => m.node === node).map((m) => m.name));
      expect(names, node).toContain('routerd_events_stored_total');
      expect(names, node).toContain('routerd_delivery_attempts_total');
    }
    expect(collector.requests.map((r) => r.path)).toEqual(
      expect.arrayContaining(['/v1/traces', '/v1/metrics']),
    );
  });
});

describe('a daemon without an OTLP endpoint', () => {
  it('loads nothing of OpenTelemetry: only a dynamic import reaches it from the daemon', () => {
    // The modules a start loads are the bin entry and everything it imports statically; the exporter's
    // chunk is reached only through `import()` (telemetry/index.ts), which runs only with an endpoint.
    const dist = join(dirname(fileURLToPath(import.meta.resolve('@routerd/host'))));
    const staticImports = (file: string) =>
      [
        ...readFileSync(file, 'utf8').matchAll(/^import\s[^;]*?from\s*"([^"]+)";|^import\s*"([^"]+)";/gms),
      ].map((m) => m[1] ?? m[2]!);
    const seen = new Set<string>();
    const external: string[] = [];
    const walk = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const spec of staticImports(file)) {
        if (spec.startsWith('.')) walk(join(dirname(file), spec));
        else external.push(spec);
      }
    };
    walk(join(dist, 'bin/routerd-eventd.js'));
    walk(join(dist, 'index.js'));
    expect(seen.size).toBeGreaterThan(2); // the walk did find the chunks
    expect(external).toContain('better-sqlite3'); // and their packages
    expect(external.filter((s) => s.startsWith('@opentelemetry/'))).toEqual([]);
    // The exporter is in the bundle, behind the dynamic import.
    const chunks = [...seen].map((f) => readFileSync(f, 'utf8')).join('\n');
    expect(chunks).toMatch(/import\("\.\/otlp-[A-Z0-9]+\.js"\)/);
  });
});
