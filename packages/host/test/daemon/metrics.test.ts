// /metrics beyond transport, read from a real routerd-eventd (in-process, on its control socket) after
// real plugin runs: child processes speaking the protocol, a real SQLite store, the system clock.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SubscriptionRun } from '@routerd/host-wire';
import { hostAddress } from '@routerd/plugin-sdk';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { controlRequest, groupConfig, tempDir, writeFile } from '../../src/testing/index.js';
import { HOST_FIXTURE, pluginYaml, SDK_FIXTURE } from '../plugins/harness.js';
import { sample, scrape } from './scrape.js';

const ADDRESS = '10.88.60.9/32';

/** A result-plugin answer that claims ADDRESS for `ownerNode`. */
const claimOf = (ownerNode: string) => ({
  observedAt: new Date().toISOString(),
  resources: [
    {
      apiVersion: 'net.routerd.net/v1alpha1',
      kind: 'RemoteAddressClaim',
      metadata: { name: `onprem-${hostAddress(ADDRESS).replaceAll('.', '-')}` },
      spec: { address: ADDRESS, domain: 'lan', ownerNode },
    },
  ],
});

const subscription = (
  name: string,
  plugin: string,
  extra = '',
) => `apiVersion: federation.routerd.net/v1alpha1
kind: EventSubscription
metadata: { name: ${name} }
spec:
  groupRef: lab
  match: { types: [routerd.client.*] }
  trigger: { pluginRef: ${plugin} }
${extra}`;

let daemon: Daemon;
let socket: string;
let whileHeld: string;
beforeAll(async () => {
  const dir = tempDir('metrics-');
  const config = [
    groupConfig(),
    pluginYaml({
      name: 'claimer',
      script: HOST_FIXTURE('result-plugin.mjs'),
      config: { status: claimOf('onprem-1') },
    }),
    // Claims the same address for a node that never observed it: refused by the single-writer invariant.
    pluginYaml({
      name: 'intruder',
      script: HOST_FIXTURE('result-plugin.mjs'),
      config: { status: claimOf('cloud-9') },
    }),
    pluginYaml({ name: 'garbled', script: SDK_FIXTURE('raw-plugin.mjs'), args: ['invalid-result'] }),
    pluginYaml({ name: 'crasher', script: SDK_FIXTURE('crash-mid-call.mjs'), lifecycle: 'longLived' }),
    subscription('clients', 'claimer', '  teardown: { grace: 8s, observationTTL: 2s }\n'),
    subscription('intruders', 'intruder'),
    subscription('garbage', 'garbled'),
    subscription('crashes', 'crasher'),
  ].join('---\n');
  const stateDir = join(dir, 'state');
  daemon = await Daemon.start({
    configFiles: [writeFile(dir, 'c.yaml', config)],
    stateDir,
    logger: pino({ level: 'silent' }),
    clock: systemClock,
  });
  socket = join(stateDir, 'routerd.sock');
  const emitted = await controlRequest(socket, 'POST', '/v1/events', {
    type: 'routerd.client.ipv4.observed',
    ttl: '300s',
    payload: { address: ADDRESS, domain: 'lan', ownerSide: 'onprem', source: 'arp' },
  });
  expect(emitted.status).toBe(201);
  const done = async () =>
    new Set(
      ((await controlRequest(socket, 'GET', '/v1/subscriptions/runs')).body.runs as SubscriptionRun[])
        .filter((r) => r.status === 'succeeded' || r.status === 'failed')
        .map((r) => r.subscription),
    );
  const until = async (what: string, ok: (ran: Set<string>) => boolean) =>
    vi.waitFor(
      async () => {
        if (!ok(await done())) throw new Error(`waiting for ${what}`);
      },
      { timeout: 15_000, interval: 50 },
    );
  await until('the clients subscription', (ran) => ran.has('clients'));
  // Read at once: the claim's grace (8s from the observation) has not run out yet.
  whileHeld = await scrape(socket);
  // Every subscription has run its one event once (succeeded or failed).
  await until('every subscription', (ran) => ran.size === 4);
}, 40_000);
afterAll(() => daemon?.stop());

describe('/metrics beyond transport', () => {
  it('counts plugin runs by plugin, trigger and outcome, with a duration histogram per plugin', async () => {
    const text = await scrape(socket);
    expect(
      sample(text, 'routerd_plugin_runs_total{plugin="claimer",trigger="event",outcome="succeeded"}'),
    ).toBe(1);
    expect(
      sample(text, 'routerd_plugin_runs_total{plugin="garbled",trigger="event",outcome="refused"}'),
    ).toBe(1);
    expect(sample(text, 'routerd_plugin_run_duration_seconds_count{plugin="claimer"}')).toBe(1);
    expect(sample(text, 'routerd_plugin_run_duration_seconds_bucket{le="+Inf",plugin="claimer"}')).toBe(1);
  });

  it('counts subscription runs by outcome and their batch sizes', async () => {
    const text = await scrape(socket);
    expect(sample(text, 'routerd_subscription_runs_total{subscription="clients",outcome="succeeded"}')).toBe(
      1,
    );
    expect(sample(text, 'routerd_subscription_runs_total{subscription="garbage",outcome="failed"}')).toBe(1);
    expect(sample(text, 'routerd_subscription_batch_events_sum{subscription="clients"}')).toBe(1);
    expect(sample(text, 'routerd_subscription_batch_events_bucket{le="1",subscription="clients"}')).toBe(1);
  });

  it('shows each plugin state as a 0/1 series and counts restarts of a long-lived plugin', async () => {
    const text = await scrape(socket);
    expect(sample(text, 'routerd_plugin_state{plugin="claimer",state="running"}')).toBe(1);
    expect(sample(text, 'routerd_plugin_state{plugin="claimer",state="degraded"}')).toBe(0);
    await expect
      .poll(
        async () => sample(await scrape(socket), 'routerd_plugin_restarts_total{plugin="crasher"}') ?? 0,
        {
          timeout: 10_000,
        },
      )
      .toBeGreaterThanOrEqual(1);
  });

  it('counts a result refused by an invariant, names the invariant, and never an address', async () => {
    const text = await scrape(socket);
    expect(sample(text, 'routerd_results_refused_total{invariant="single-writer"}')).toBe(1);
    // Bounded labels: no address, no event id in any series of the daemon.
    expect(text).not.toContain(hostAddress(ADDRESS));
    expect(text).not.toMatch(/[0-9A-HJKMNP-TV-Z]{26}/);
  });

  it('shows the claim and its part while held, and counts its release after the grace', async () => {
    expect(sample(whileHeld, 'routerd_claims{state="active"}')).toBe(1);
    expect(sample(whileHeld, 'routerd_dynamic_parts_active')).toBe(1);
    expect(sample(whileHeld, 'routerd_claims_released_total')).toBe(0);
    await expect
      .poll(async () => sample(await scrape(socket), 'routerd_claims_released_total'), { timeout: 20_000 })
      .toBe(1);
    expect(sample(await scrape(socket), 'routerd_claims{state="active"}')).toBeUndefined();
  }, 30_000);
});

describe('the Grafana dashboard in deploy/grafana', () => {
  const file = fileURLToPath(new URL('../../../../deploy/grafana/routerd-federation.json', import.meta.url));
  const dashboard = JSON.parse(readFileSync(file, 'utf8')) as {
    panels: { title: string; targets?: { expr: string }[] }[];
    templating: { list: { name: string; query: { query: string } }[] };
  };
  const queries = [
    ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: p.title, expr: t.expr }))),
    ...dashboard.templating.list.map((v) => ({ where: `variable ${v.name}`, expr: v.query.query })),
  ];

  /** Metric families /metrics declares, with their types. */
  const families = (text: string) =>
    new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!] as const));
  /** The family a series name in an expression belongs to (a histogram's _bucket, _sum, _count are its own). */
  const familyOf = (name: string, known: Map<string, string>) => {
    const base = name.replace(/_(bucket|sum|count)$/, '');
    return base !== name && known.get(base) === 'histogram' ? base : name;
  };

  it('uses only metric names the daemon serves (it cannot drift from /metrics)', async () => {
    const known = families(await scrape(socket));
    expect(queries.length).toBeGreaterThan(20);
    const unknown = queries.flatMap(({ where, expr }) =>
      [...expr.matchAll(/\brouterd_[a-z_]+/g)]
        .map((m) => familyOf(m[0], known))
        .filter((name) => !known.has(name))
        .map((name) => `${where}: ${name}`),
    );
    expect(unknown).toEqual([]);
  });

  it('shows every routerd_ metric the daemon serves', async () => {
    const known = families(await scrape(socket));
    const used = new Set(
      queries.flatMap(({ expr }) =>
        [...expr.matchAll(/\brouterd_[a-z_]+/g)].map((m) => familyOf(m[0], known)),
      ),
    );
    expect([...known.keys()].filter((name) => name.startsWith('routerd_') && !used.has(name))).toEqual([]);
  });
});
