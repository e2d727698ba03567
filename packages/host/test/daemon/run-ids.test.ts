// One run id from the subscription engine into the plugin host: the subscription ledger's lastRunId names
// the row `routerctl plugin runs` shows for that run (it was a UUID that matched no row before).
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { controlRequest, groupConfig, tempDir, writeFile } from '../../src/testing/index.js';
import { HOST_FIXTURE, pluginYaml } from '../plugins/harness.js';

const daemons: Daemon[] = [];
afterEach(async () => {
  for (const d of daemons.splice(0)) await d.stop();
});

describe('run ids', () => {
  it('a subscription run is recorded under the plugin run id it caused', async () => {
    const dir = tempDir('run-ids-');
    const stateDir = join(dir, 'state');
    const config = [
      groupConfig(),
      pluginYaml({
        name: 'answer',
        script: HOST_FIXTURE('result-plugin.mjs'),
        config: { status: { observedAt: new Date().toISOString() } },
      }),
      `apiVersion: federation.routerd.net/v1alpha1
kind: EventSubscription
metadata: { name: clients }
spec:
  groupRef: lab
  match: { types: [routerd.client.*] }
  trigger: { pluginRef: answer }
`,
    ].join('---\n');
    const daemon = await Daemon.start({
      configFiles: [writeFile(dir, 'c.yaml', config)],
      stateDir,
      logger: pino({ level: 'silent' }),
      clock: systemClock,
    });
    daemons.push(daemon);
    const socket = join(stateDir, 'routerd.sock');
    const emitted = await controlRequest(socket, 'POST', '/v1/events', {
      type: 'routerd.client.ipv4.observed',
      ttl: '300s',
      payload: { address: '10.88.60.9/32', domain: 'lan', ownerSide: 'onprem', source: 'arp' },
    });
    expect(emitted.status).toBe(201);
    const runs = async () => (await controlRequest(socket, 'GET', '/v1/subscriptions/runs')).body.runs;
    await expect.poll(async () => (await runs())[0]?.status, { timeout: 10_000 }).toBe('succeeded');
    const [subscriptionRun] = await runs();
    const pluginRuns = (await controlRequest(socket, 'GET', '/v1/plugins/runs?plugin=answer')).body.runs;
    expect(pluginRuns).toHaveLength(1);
    expect(subscriptionRun.lastRunId).toBe(pluginRuns[0].runId);
  });
});
