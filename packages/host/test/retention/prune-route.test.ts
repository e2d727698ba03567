// `routerctl federation event prune` reaches every ledger: through the control API of a running daemon
// (in this process, on a manual clock), the dry run lists each ledger with its count, and the prune
// removes dynamic parts and the announcements of plugin parts, which nothing removed before.
import { join } from 'node:path';
import type { ActionPlan, PluginResult } from '@routerd/plugin-sdk';
import BetterSqlite3 from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { controlRequest, groupConfig, tempDir, writeFile } from '../../src/testing/index.js';

const T0 = Date.parse('2026-11-27T06:00:00Z');
const DAY = 24 * 3_600_000;

const plan = (key: string) =>
  ({
    name: key,
    provider: 'aws',
    action: 'ensure-forwarding-enabled',
    mode: 'dry-run',
    idempotencyKey: key,
    riskLevel: 'low',
    target: { nicRef: 'eni-1' },
    auth: { mode: 'instance-identity' },
    basedOn: [],
    preconditions: [],
    expectedEffects: [],
    steps: [],
  }) as unknown as ActionPlan;
const result = (at: number, key: string): PluginResult => ({
  apiVersion: 'plugin.routerd.net/v1alpha1',
  kind: 'PluginResult',
  metadata: {},
  status: { observedAt: new Date(at).toISOString(), ttl: '2h', actionPlans: [plan(key)] },
});

const daemons: Daemon[] = [];
afterEach(async () => {
  for (const d of daemons.splice(0)) await d.stop();
});

describe('POST /v1/federation/prune', () => {
  it('removes expired dynamic parts and the announcements of plugin parts, and the dry run counts them', async () => {
    const dir = tempDir('prune-route-');
    const stateDir = join(dir, 'state');
    const clock = new ManualClock(T0);
    const daemon = await Daemon.start({
      configFiles: [writeFile(dir, 'c.yaml', groupConfig())],
      stateDir,
      logger: pino({ level: 'silent' }),
      clock,
    });
    daemons.push(daemon);
    // A plugin run's plans: its part is replaced by the next run (within its TTL), whose plans are
    // announced anew.
    daemon.dynamic.applyResult({ plugin: 'p' }, [], result(T0, 'plan-1'));
    clock.set(T0 + 3_600_000);
    daemon.dynamic.applyResult({ plugin: 'p' }, [], result(T0 + 3_600_000, 'plan-2'));
    clock.set(T0 + 8 * DAY);

    const socket = join(stateDir, 'routerd.sock');
    const announced = () => {
      const db = new BetterSqlite3(join(stateDir, 'routerd.db'), { readonly: true });
      try {
        return (db.prepare('SELECT COUNT(*) AS n FROM announced_plans').get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    expect(announced()).toBe(2);
    const dry = await controlRequest(socket, 'GET', '/v1/federation/prune');
    expect(dry.status).toBe(200);
    expect(dry.body.ledgers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ ledger: 'dynamic_parts', rows: 1 }),
        expect.objectContaining({ ledger: 'announced_plans', rows: 2 }),
      ]),
    );

    const pruned = await controlRequest(socket, 'POST', '/v1/federation/prune', {});
    expect(pruned.status).toBe(200);
    expect((await controlRequest(socket, 'GET', '/v1/dynamic/parts')).body.parts).toEqual([]);
    expect(announced()).toBe(0);
  });

  it('lists the first events it selects and counts them all: the answer stays small however many go', async () => {
    const dir = tempDir('prune-route-');
    const stateDir = join(dir, 'state');
    const config = `apiVersion: federation.routerd.net/v1alpha1
kind: EventGroup
metadata: { name: lab }
spec: { nodeName: onprem-1, retention: { maxEvents: 10 } }
`;
    const daemon = await Daemon.start({
      configFiles: [writeFile(dir, 'c.yaml', config)],
      stateDir,
      logger: pino({ level: 'silent' }),
      clock: new ManualClock(T0),
    });
    daemons.push(daemon);
    const socket = join(stateDir, 'routerd.sock');
    const total = 1300;
    const emitted = await controlRequest(socket, 'POST', '/v1/events/batch', {
      events: Array.from({ length: total }, (_, n) => ({
        id: `e-${String(n).padStart(4, '0')}`,
        type: 'acme.thing.seen',
        ttl: '1h',
        payload: { n },
      })),
    });
    expect(emitted.status).toBe(200);
    const oldest = Array.from({ length: 1000 }, (_, n) => `e-${String(n).padStart(4, '0')}`);

    const dry = await controlRequest(socket, 'GET', '/v1/federation/prune');
    expect(dry.body.events.map((e: { id: string }) => e.id)).toEqual(oldest);
    expect(dry.body.eventsNotListed).toBe(total - 10 - 1000);
    expect(dry.body.ledgers).toContainEqual(expect.objectContaining({ ledger: 'events', rows: total - 10 }));

    const pruned = await controlRequest(socket, 'POST', '/v1/federation/prune', {});
    expect(pruned.body.events.map((e: { id: string }) => e.id)).toEqual(oldest);
    expect(pruned.body.eventsNotListed).toBe(total - 10 - 1000);
    expect(pruned.body.removed).toMatchObject({ events: total - 10 });
    expect((await controlRequest(socket, 'GET', '/v1/status')).body.events).toEqual({ stored: 10 });
  });
});
