// routerctl plugin list | run | runs: the real routerctl against a real routerd-eventd running real
// plugin processes (the SDK's test fixtures). Every plugin failure leaves the daemon serving.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { groupConfig, TestDaemon, tempDir, writeFile } from '@routerd/host/testing';
import { makeEvent } from '@routerd/plugin-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROUTERCTL = fileURLToPath(new URL('../dist/routerctl.js', import.meta.url));
const fixture = (name: string) =>
  fileURLToPath(new URL(`../../plugin-sdk/test/fixtures/${name}`, import.meta.url));

function plugin(name: string, script: string, spec: Record<string, unknown> = {}): string {
  const { args = [], ...rest } = spec as { args?: string[] };
  return `apiVersion: plugin.routerd.net/v1alpha1
kind: Plugin
metadata: { name: ${name} }
spec: ${JSON.stringify({
    executable: process.execPath,
    args: [fixture(script), ...args],
    capabilities: ['propose.dynamicConfig'],
    ...rest,
  })}
`;
}

let daemon: TestDaemon;
let dir: string;
function ctl(...args: string[]) {
  const r = spawnSync(process.execPath, [ROUTERCTL, '--state-dir', daemon.stateDir, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ROUTERD_SOCKET: '' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
function json(...args: string[]) {
  const r = ctl(...args, '-o', 'json');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

const observed = makeEvent({
  id: 'obs-1',
  group: 'lab',
  sourceNode: 'onprem-1',
  type: 'routerd.client.ipv4.observed',
  payload: { address: '10.88.60.9/32', domain: 'lan', ownerSide: 'onprem', source: 'arp' },
});

beforeAll(async () => {
  dir = tempDir();
  const config = writeFile(
    dir,
    'federation.yaml',
    [
      groupConfig({ nodeName: 'cloud-1', captured: ['10.88.60.0/24'] }),
      plugin('claims', 'good-plugin.mjs'),
      plugin('crasher', 'crash-mid-call.mjs'),
      plugin('garbage', 'raw-plugin.mjs', { args: ['invalid-result'] }),
      plugin('planner', 'raw-plugin.mjs', { args: ['ungranted-plans'] }),
      plugin('wedge', 'raw-plugin.mjs', { args: ['wedge'], timeout: '1s' }),
      plugin('greedy', 'claims-ungranted.mjs', { lifecycle: 'longLived' }),
      plugin('observer', 'observer-plugin.mjs', { lifecycle: 'longLived', capabilities: ['observe.events'] }),
    ].join('---\n'),
  );
  daemon = await TestDaemon.start({ configFiles: [config], stateDir: join(dir, 'state') });
});
afterAll(async () => {
  await daemon?.stop();
});

describe('routerctl plugin list', () => {
  it('shows each plugin’s lifecycle and state, and why one was not started', () => {
    const plugins = json('plugin', 'list') as { name: string; state: string; lastError?: string }[];
    const byName = Object.fromEntries(plugins.map((p) => [p.name, p]));
    expect(Object.keys(byName).sort()).toEqual(
      ['claims', 'crasher', 'garbage', 'greedy', 'observer', 'planner', 'wedge'].sort(),
    );
    expect(byName.claims).toMatchObject({ lifecycle: 'oneShot', state: 'running' });
    expect(byName.observer).toMatchObject({ lifecycle: 'longLived', state: 'running', restarts: 0 });
    expect(byName.greedy).toMatchObject({ lifecycle: 'longLived', state: 'degraded' });
    expect(byName.greedy!.lastError).toContain('propose.providerAction');

    const table = ctl('plugin', 'list');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      /^NAME\s+LIFECYCLE\s+STATE\s+RESTARTS\s+INTERVALS\s+LAST RUN\s+LAST ERROR\n/,
    );
    expect(table.stdout).toMatch(/greedy\s+longLived\s+degraded/);
  });
});

describe('routerctl plugin run', () => {
  it('--dry-run shows the result and stores nothing; a real run is recorded as such', () => {
    const events = writeFile(dir, 'events.json', JSON.stringify([observed]));
    const dry = ctl('plugin', 'run', 'claims', '--dry-run', '--events-file', events, '--topic', 'by-hand');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^run \S+ of claims: succeeded in [\d.]+ ms \(dry run: nothing stored\)\n/);
    expect(dry.stdout).toContain('resources: 1, directives: 0, actionPlans: 0');
    expect(dry.stdout).toContain('name: onprem-10-88-60-9');

    const real = json('plugin', 'run', 'claims', '--events-file', events);
    expect(real).toMatchObject({ plugin: 'claims', outcome: 'succeeded', dryRun: false });
    expect(real.result.status.resources[0].spec).toEqual({
      address: '10.88.60.9/32',
      domain: 'lan',
      ownerNode: 'onprem-1',
    });

    const runs = json('plugin', 'runs', '--plugin', 'claims');
    expect(runs.slice(0, 2)).toMatchObject([
      { runId: real.runId, trigger: 'manual', dryRun: false, outcome: 'succeeded', events: 1, topic: null },
      { trigger: 'manual', dryRun: true, outcome: 'succeeded', events: 1, topic: 'by-hand' },
    ]);
  });

  it('exits 1 with the reason for a crash, a hang, garbage and ungranted output — and the daemon keeps serving', () => {
    const crash = ctl('plugin', 'run', 'crasher');
    expect(crash.code).toBe(1);
    expect(crash.stderr).toContain('error: run failed: PROCESS_EXITED');

    const garbage = ctl('plugin', 'run', 'garbage');
    expect(garbage.code).toBe(1);
    expect(garbage.stderr).toContain('error: run refused: RESULT_SCHEMA_INVALID');

    // -o json prints the outcome on stdout whatever it was; the exit code still says it was refused.
    const plannerRun = ctl('plugin', 'run', 'planner', '-o', 'json');
    expect(plannerRun.code).toBe(1);
    const planner = JSON.parse(plannerRun.stdout);
    expect(planner).toMatchObject({
      outcome: 'refused',
      error: { code: 'CAPABILITY_NOT_GRANTED', capability: 'propose.providerAction' },
    });
    expect(planner.result).toBeUndefined();

    const wedge = ctl('plugin', 'run', 'wedge');
    expect(wedge.code).toBe(1);
    expect(wedge.stderr).toContain('REQUEST_TIMEOUT');

    const failed = json('plugin', 'runs', '--outcome', 'failed');
    const crashRecord = failed.find((r: { plugin: string }) => r.plugin === 'crasher');
    expect(crashRecord).toMatchObject({ errorCode: 'PROCESS_EXITED', exitCode: 3 });
    expect(crashRecord.stderrTail).toContain('about to crash');
    expect(failed.find((r: { plugin: string }) => r.plugin === 'wedge')).toMatchObject({
      errorCode: 'REQUEST_TIMEOUT',
    });
    expect(
      json('plugin', 'runs', '--outcome', 'refused')
        .map((r: { plugin: string }) => r.plugin)
        .sort(),
    ).toEqual(['garbage', 'planner']);

    const table = ctl('plugin', 'runs', '--limit', '2');
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')).toHaveLength(4); // header, 2 rows, trailing newline
    expect(json('plugin', 'run', 'claims').outcome).toBe('succeeded');
  });

  it('refuses an unknown plugin and a bad events file, naming the field and the option', () => {
    const unknown = ctl('plugin', 'run', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no Plugin named "nope" is configured');

    const { id: _id, ...noId } = observed;
    const bad = ctl(
      'plugin',
      'run',
      'claims',
      '--events-file',
      writeFile(dir, 'bad.json', JSON.stringify([noId])),
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('/events/0/id');
    expect(bad.stderr).toContain('--events-file');

    const notJson = ctl('plugin', 'run', 'claims', '--events-file', writeFile(dir, 'x.json', '{'));
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain('is not JSON');
  });
});

describe('events/publish through the daemon', () => {
  it('refuses the observer’s captured address: nothing is stored', async () => {
    // The observer publishes once it is initialized, on its own schedule: wait for the daemon's answer
    // before looking at the store, or "nothing stored" would hold merely because nothing arrived yet.
    await expect
      .poll(() => daemon.logs.find((l) => l.msg === 'plugin observer: published'), { timeout: 10_000 })
      .toMatchObject({ plugin: 'observer', pluginFields: { accepted: 0 } });
    const events = json('federation', 'event', 'list', '--include-expired');
    expect(events).toEqual([]);
  });
});
