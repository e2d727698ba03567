import { TestDaemon } from '@routerd/host/testing';
import type { TraceResponse } from '@routerd/host-wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  claimsCloudExtras,
  emitObservedWithRouterctl,
  freePort,
  keyFile,
  newRoot,
  nodeConfig,
  routerctl,
  routerctlJson,
  writeNodeFiles,
} from './support/federation.js';

let onprem: TestDaemon;
let cloud: TestDaemon;

beforeAll(async () => {
  const root = newRoot();
  const key = keyFile(root);
  const [po, pc, nowhere] = [await freePort(), await freePort(), await freePort()];
  cloud = await TestDaemon.start(
    writeNodeFiles(
      root,
      'cloud',
      nodeConfig({ name: 'cloud', port: pc, key, peers: [{ name: 'onprem', port: po }] }) + claimsCloudExtras,
    ),
  );
  onprem = await TestDaemon.start(
    writeNodeFiles(
      root,
      'onprem',
      nodeConfig({
        name: 'onprem',
        port: po,
        key,
        peers: [
          { name: 'cloud', port: pc, types: ['routerd.client.ipv4.*'] },
          // Nothing listens here: what is pushed to it never arrives.
          { name: 'lost', port: nowhere, types: ['routerd.test.*'] },
        ],
      }),
    ),
  );
}, 60_000);
afterAll(async () => {
  await onprem?.stop();
  await cloud?.stop();
});

const trace = (stateDir: string, ref: string) => routerctlJson<TraceResponse>(stateDir, 'trace', ref);
const kinds = (t: TraceResponse) => t.steps.map((s) => s.kind);

describe('routerctl trace', () => {
  it('follows one observation across both nodes under one trace id, to the acknowledgement', async () => {
    const emitted = emitObservedWithRouterctl(onprem.stateDir, '10.88.60.9/32', '-o', 'json');
    expect(emitted.code, emitted.stderr).toBe(0);
    const eventId = (JSON.parse(emitted.stdout) as { event: { id: string } }).event.id;

    await expect
      .poll(() => kinds(trace(onprem.stateDir, '10.88.60.9')), { timeout: 30_000, interval: 200 })
      .toContain('ack');
    const here = trace(onprem.stateDir, '10.88.60.9');
    expect(here.eventId).toBe(eventId);
    expect(here.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(here.stopped).toBeUndefined();
    expect(kinds(here).slice(0, 3)).toEqual(['observed', 'stored', 'delivered']);
    expect(here.steps.find((s) => s.kind === 'delivered')).toMatchObject({
      outcome: 'ok',
      detail: { peer: 'cloud', status: 'delivered', attempts: 1 },
    });
    const ack = here.steps.find((s) => s.kind === 'ack')!;
    expect(ack).toMatchObject({ outcome: 'ok' });
    expect(ack.summary).toMatch(/part accepted: onprem-clients-10-88-60-9 — received from cloud/);
    // The acknowledgement is a child of the observation, named by its span.
    const observed = here.steps.find((s) => s.kind === 'observed')!;
    expect(ack.parentSpanId).toBe(observed.spanId);

    const there = trace(cloud.stateDir, eventId);
    expect(there.traceId).toBe(here.traceId);
    expect(there.stopped).toBeUndefined();
    for (const kind of ['observed', 'received', 'run', 'part', 'claim', 'plan', 'ack', 'delivered'] as const)
      expect(kinds(there), kind).toContain(kind);
    expect(kinds(there).indexOf('received')).toBeLessThan(kinds(there).indexOf('run'));
    const run = there.steps.find((s) => s.kind === 'run')!;
    expect(run).toMatchObject({
      outcome: 'ok',
      detail: { subscription: 'onprem-clients', plugin: 'claims' },
    });
    expect(run.durationMs).toBeGreaterThanOrEqual(0);
    expect(there.steps.find((s) => s.kind === 'claim')!.summary).toMatch(
      /10\.88\.60\.9\/32 for onprem: active/,
    );
    // Every step after the first says how long after the one before it came.
    expect(there.steps.slice(1).every((s) => typeof s.sinceMs === 'number' && s.sinceMs >= 0)).toBe(true);

    const text = routerctl(onprem.stateDir, 'trace', '10.88.60.9');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`Trace ${here.traceId} of event ${eventId}`);
    expect(text.stdout).toMatch(/delivered\s+ok\s+event delivered to cloud \(1 attempt\)/);
    expect(text.stdout).toMatch(/Complete: every step succeeded/);
  }, 60_000);

  it('says where a chain stopped: a delivery that never arrives, a fact no peer acknowledged', async () => {
    const lost = routerctl(
      onprem.stateDir,
      'federation',
      'event',
      'emit',
      '--type',
      'routerd.test.lost',
      '-o',
      'json',
    );
    expect(lost.code, lost.stderr).toBe(0);
    const id = (JSON.parse(lost.stdout) as { event: { id: string } }).event.id;
    await expect
      .poll(() => trace(onprem.stateDir, id).stopped?.reason ?? '', { timeout: 30_000, interval: 200 })
      .toMatch(/event not yet delivered to lost after [1-9]\d* attempts?: /);
    expect(trace(onprem.stateDir, id).stopped?.step).toBe('delivered');
    const text = routerctl(onprem.stateDir, 'trace', id);
    expect(text.stdout).toMatch(/Stopped at delivered: event not yet delivered to lost/);
  }, 60_000);

  it('refuses a reference it cannot find, naming it', () => {
    const r = routerctl(onprem.stateDir, 'trace', '10.99.99.99');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/no observation of 10\.99\.99\.99 is stored on this node/);
  });
});
