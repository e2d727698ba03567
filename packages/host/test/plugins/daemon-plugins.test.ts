// The real routerd-eventd with plugins: started at boot, interval triggers, SIGHUP reload, shutdown
// leaves no plugin process behind.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { controlRequest, groupConfig, TestDaemon, tempDir, writeFile } from '../../src/testing/index.js';
import { pluginYaml, SDK_FIXTURE } from './harness.js';

const running: TestDaemon[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((d) => d.stop()));
});

/** Pids of live processes whose command line contains this marker. */
function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

describe('routerd-eventd plugins', () => {
  it('starts long-lived plugins, fires interval triggers, applies reloads and stops every plugin', async () => {
    const dir = tempDir();
    const marker = `--marker=${dir}`;
    const configYaml = (every: string | undefined) =>
      [
        groupConfig(),
        pluginYaml({
          name: 'resident',
          script: SDK_FIXTURE('good-plugin.mjs'),
          args: [marker],
          lifecycle: 'longLived',
        }),
        pluginYaml({
          name: 'ticker',
          script: SDK_FIXTURE('good-plugin.mjs'),
          ...(every ? { triggers: [{ type: 'interval', every }] } : {}),
        }),
      ].join('---\n');
    const config = writeFile(dir, 'config.yaml', configYaml('1s'));
    const daemon = await TestDaemon.start({ configFiles: [config], stateDir: join(dir, 'state') });
    running.push(daemon);
    const get = async (path: string) => (await controlRequest(daemon.socketPath, 'GET', path)).body;

    expect(processesWith(marker)).toHaveLength(1);
    const { plugins } = await get('/v1/plugins');
    expect(plugins).toEqual([
      { name: 'resident', lifecycle: 'longLived', state: 'running', restarts: 0, intervals: [] },
      { name: 'ticker', lifecycle: 'oneShot', state: 'running', intervals: ['1s'] },
    ]);

    const intervalRuns = async () =>
      (await get('/v1/plugins/runs?plugin=ticker')).runs.filter(
        (r: { trigger: string; outcome: string }) => r.trigger === 'interval' && r.outcome === 'succeeded',
      ).length;
    const until = Date.now() + 8000;
    while ((await intervalRuns()) < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(await intervalRuns()).toBeGreaterThanOrEqual(2);

    // Reload without the schedule: no more interval runs; the unchanged long-lived plugin keeps its process.
    const residentPid = processesWith(marker)[0];
    writeFile(dir, 'config.yaml', configYaml(undefined));
    daemon.signal('SIGHUP');
    await daemon.waitForLog((l) => l.msg === 'config reloaded');
    await new Promise((r) => setTimeout(r, 700));
    const settled = await intervalRuns();
    await new Promise((r) => setTimeout(r, 1500));
    expect(await intervalRuns()).toBe(settled);
    expect(processesWith(marker)).toEqual([residentPid]);

    await daemon.stop();
    expect(processesWith(marker)).toEqual([]);
  });
});

describe('a stop during a reload', () => {
  it('the reload gives up at its next step: no subscription of the new config runs, no plugin is left behind', async () => {
    const dir = tempDir();
    const marker = `--marker=${dir}`;
    const config = writeFile(dir, 'config.yaml', groupConfig());
    const daemon = await TestDaemon.start({ configFiles: [config], stateDir: join(dir, 'state') });
    running.push(daemon);
    // An event the new subscription will find by backfill when it is applied.
    await controlRequest(daemon.socketPath, 'POST', '/v1/events', {
      type: 'routerd.client.ipv4.observed',
      ttl: '300s',
      payload: { address: '10.88.60.9/32', domain: 'lan', ownerSide: 'onprem', source: 'arp' },
    });
    writeFile(
      dir,
      'config.yaml',
      [
        groupConfig(),
        pluginYaml({
          name: 'late',
          script: SDK_FIXTURE('good-plugin.mjs'),
          args: [marker],
          lifecycle: 'longLived',
        }),
        `apiVersion: federation.routerd.net/v1alpha1
kind: EventSubscription
metadata: { name: clients }
spec: { groupRef: lab, match: { types: ['routerd.client.ipv4.observed'] }, trigger: { pluginRef: late } }
`,
      ].join('---\n'),
    );
    // Back to back: the stop arrives while the reload is still starting the new plugin.
    daemon.signal('SIGHUP');
    daemon.signal('SIGTERM');
    expect(await daemon.exited()).toBe(0);
    expect(processesWith(marker)).toEqual([]);
    const problems = daemon.logs.filter((l) => l.level >= 50).map((l) => JSON.stringify(l));
    expect(problems).toEqual([]);
    // Nothing more of the new config starts once the stop has begun (a plugin whose start was under way
    // finishes starting and is stopped): the reload gives up at its next step. Before, the subscription
    // was applied to the stopped engine, whose backfill ran the event into a plugin host that had stopped,
    // recording a failed attempt with a backoff.
    const msgs = daemon.logs.map((l) => l.msg);
    const afterStop = msgs.slice(msgs.indexOf('stopping: no new work is accepted'));
    expect(afterStop.filter((m) => /backfill|run failed|config reloaded/.test(m))).toEqual([]);
    expect(msgs.at(-1)).toBe('stopped');
  });
});
