// PluginHost with real plugin processes: supervision, run records, the result checks, interval
// triggers and events/publish. Fixtures are the SDK's test plugins plus test/fixtures/publisher-plugin.mjs.
import { groupAlive } from '@routerd/plugin-sdk/client';
import { makeEvent } from '@routerd/plugin-sdk/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { PluginRunInput, PluginRunOutcome } from '../../src/plugins/plugin-host.js';
import { HOST_FIXTURE, loadPlugins, type PluginYaml, SDK_FIXTURE, startHost, waitFor } from './harness.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});

async function host(...plugins: PluginYaml[]) {
  const h = await startHost(plugins);
  open.push(h);
  return h;
}

const observed = makeEvent({
  type: 'routerd.client.ipv4.observed',
  sourceNode: 'onprem',
  payload: { address: '10.88.60.9/32', domain: 'lan', ownerSide: 'onprem', source: 'arp' },
});
const manual = (topic?: string): PluginRunInput => ({
  trigger: topic === undefined ? { type: 'manual' } : { type: 'manual', topic },
  events: [observed],
});

describe('one-shot plugins', () => {
  it('spawn per run, hand successful results to onResult, and record every run', async () => {
    const h = await host({ name: 'claims', script: SDK_FIXTURE('good-plugin.mjs') });
    const seen: [string, PluginRunOutcome, PluginRunInput][] = [];
    h.host.onResult((name, outcome, input) => seen.push([name, outcome, input]));

    const first = await h.host.run('claims', manual());
    expect(first.outcome).toBe('succeeded');
    expect(first.result?.status.resources?.[0]?.metadata.name).toBe('onprem-10-88-60-9');
    // Nothing stays running between runs of a one-shot plugin.
    expect(h.host.supervisorOf('claims')?.process).toBeUndefined();
    await h.host.run('claims', manual());

    const dry = await h.host.run('claims', manual(), { dryRun: true });
    expect(dry).toMatchObject({ outcome: 'succeeded', dryRun: true });
    expect(dry.result?.status.resources).toHaveLength(1);

    expect(seen.map(([name, o, input]) => [name, o.runId, input.trigger.type])).toEqual([
      ['claims', first.runId, 'manual'],
      ['claims', expect.any(String), 'manual'],
    ]);
    const records = h.runs.list({ plugin: 'claims' });
    expect(records.map((r) => [r.outcome, r.dryRun, r.events])).toEqual([
      ['succeeded', true, 1],
      ['succeeded', false, 1],
      ['succeeded', false, 1],
    ]);
    expect(records[2]).toMatchObject({ runId: first.runId, trigger: 'manual', errorCode: null });
    expect(records[2]!.requestName).toMatch(/^claims-\d{8}T\d{6}Z$/);
    expect(h.host.status()).toEqual([
      expect.objectContaining({ name: 'claims', lifecycle: 'oneShot', lastRunAt: expect.any(String) }),
    ]);
  });

  it('records a crash as failed with the exit code and the stderr tail', async () => {
    const h = await host({ name: 'crasher', script: SDK_FIXTURE('crash-mid-call.mjs') });
    const out = await h.host.run('crasher', manual());
    expect(out).toMatchObject({ outcome: 'failed', error: { code: 'PROCESS_EXITED' } });
    const [record] = h.runs.list();
    expect(record).toMatchObject({ outcome: 'failed', errorCode: 'PROCESS_EXITED', exitCode: 3 });
    expect(record!.stderrTail).toContain('about to crash');
  });

  it('refuses a result that fails the schema, and stores nothing of it', async () => {
    const h = await host({
      name: 'garbage',
      script: SDK_FIXTURE('raw-plugin.mjs'),
      args: ['invalid-result'],
    });
    let results = 0;
    h.host.onResult(() => results++);
    const out = await h.host.run('garbage', manual());
    expect(out).toMatchObject({ outcome: 'refused', error: { code: 'RESULT_SCHEMA_INVALID' } });
    expect(out.result).toBeUndefined();
    expect(results).toBe(0);
    expect(h.runs.list()[0]).toMatchObject({ outcome: 'refused', errorCode: 'RESULT_SCHEMA_INVALID' });
    expect(h.runs.list()[0]!.errorMessage).toContain('/status/observedAt');
  });

  it('refuses a result with output needing an ungranted capability, naming it', async () => {
    const h = await host({
      name: 'planner',
      script: SDK_FIXTURE('raw-plugin.mjs'),
      args: ['ungranted-plans'],
    });
    let results = 0;
    h.host.onResult(() => results++);
    const out = await h.host.run('planner', manual());
    expect(out).toMatchObject({
      outcome: 'refused',
      error: { code: 'CAPABILITY_NOT_GRANTED', capability: 'propose.providerAction' },
    });
    expect(results).toBe(0);
    expect(h.runs.list()[0]).toMatchObject({ capability: 'propose.providerAction', outcome: 'refused' });
  });

  it('reports a plugin declaring more than granted as degraded; its run fails at the handshake', async () => {
    const h = await host({ name: 'greedy', script: SDK_FIXTURE('claims-ungranted.mjs') });
    const out = await h.host.run('greedy', manual());
    expect(out).toMatchObject({ outcome: 'failed', error: { code: 'CAPABILITY_NOT_GRANTED' } });
    const [status] = h.host.status();
    expect(status).toMatchObject({ state: 'degraded' });
    expect(status!.lastError).toContain('propose.providerAction');
    expect(h.logs.some((l) => l.msg === 'plugin refused at its handshake')).toBe(true);
  });

  it('records an unknown plugin as failed without throwing', async () => {
    const h = await host({ name: 'claims', script: SDK_FIXTURE('good-plugin.mjs') });
    const out = await h.host.run('nope', manual());
    expect(out).toMatchObject({ outcome: 'failed', error: { code: 'NOT_CONFIGURED' } });
  });
});

describe('long-lived plugins', () => {
  it('start at apply, restart within the budget, and are degraded past it', async () => {
    const h = await host({ name: 'claims', script: SDK_FIXTURE('good-plugin.mjs'), lifecycle: 'longLived' });
    expect(h.host.status()[0]).toMatchObject({ state: 'running', restarts: 0 });
    const firstPid = h.host.supervisorOf('claims')!.process!.pid!;
    expect((await h.host.run('claims', manual())).outcome).toBe('succeeded');
    // The same process serves the next run.
    expect(h.host.supervisorOf('claims')!.process!.pid).toBe(firstPid);

    // Budget in the harness: 2 restarts per minute.
    for (let restart = 1; restart <= 2; restart++) {
      const pid = h.host.supervisorOf('claims')!.process!.pid!;
      process.kill(-pid, 'SIGKILL');
      await waitFor(() => {
        const s = h.host.status()[0]!;
        return (
          s.state === 'running' &&
          s.restarts === restart &&
          h.host.supervisorOf('claims')!.process?.pid !== pid
        );
      });
    }
    expect((await h.host.run('claims', manual())).outcome).toBe('succeeded');

    process.kill(-h.host.supervisorOf('claims')!.process!.pid!, 'SIGKILL');
    await waitFor(() => h.host.status()[0]!.state === 'degraded');
    expect(h.host.status()[0]!.lastError).toContain('restart budget');
    const out = await h.host.run('claims', manual());
    expect(out).toMatchObject({ outcome: 'failed', error: { code: 'DEGRADED' } });
  });

  it('does not start a plugin that declares more than granted, and says why', async () => {
    const h = await host({
      name: 'greedy',
      script: SDK_FIXTURE('claims-ungranted.mjs'),
      lifecycle: 'longLived',
    });
    const [status] = h.host.status();
    expect(status).toMatchObject({ state: 'degraded', restarts: 0 });
    expect(status!.lastError).toContain('propose.providerAction');
    expect(h.host.supervisorOf('greedy')!.process).toBeUndefined();
    const logged = h.logs.find((l) => l.msg === 'plugin failed to start');
    expect(logged?.fields).toMatchObject({ plugin: 'greedy', code: 'CAPABILITY_NOT_GRANTED' });
  });

  it('records a run that hangs past spec.timeout as REQUEST_TIMEOUT and kills the process group', async () => {
    const h = await host({
      name: 'wedge',
      script: SDK_FIXTURE('raw-plugin.mjs'),
      args: ['wedge'],
      lifecycle: 'longLived',
      timeout: '1s',
    });
    const pid = h.host.supervisorOf('wedge')!.process!.pid!;
    const started = Date.now();
    const out = await h.host.run('wedge', manual());
    expect(out).toMatchObject({ outcome: 'failed', error: { code: 'REQUEST_TIMEOUT' } });
    expect(Date.now() - started).toBeLessThan(3000);
    await waitFor(() => !groupAlive(pid), 5000);
    expect(h.runs.list()[0]).toMatchObject({ outcome: 'failed', errorCode: 'REQUEST_TIMEOUT' });
    // The supervisor brings a fresh process up (restart within the budget).
    await waitFor(() => h.host.status()[0]!.restarts === 1);
  });

  it('applies a config change: changed specs restart, unchanged keep running, removed stop', async () => {
    const keep: PluginYaml = { name: 'keep', script: SDK_FIXTURE('good-plugin.mjs'), lifecycle: 'longLived' };
    const change: PluginYaml = {
      name: 'change',
      script: SDK_FIXTURE('good-plugin.mjs'),
      lifecycle: 'longLived',
    };
    const gone: PluginYaml = { name: 'gone', script: SDK_FIXTURE('good-plugin.mjs'), lifecycle: 'longLived' };
    const h = await host(keep, change, gone);
    const pidOf = (n: string) => h.host.supervisorOf(n)?.process?.pid;
    const [keepPid, changePid, gonePid] = [pidOf('keep'), pidOf('change'), pidOf('gone')];

    await h.host.apply(loadPlugins(h.dir, [keep, { ...change, timeout: '20s' }]));
    expect(pidOf('keep')).toBe(keepPid);
    expect(pidOf('change')).toBeDefined();
    expect(pidOf('change')).not.toBe(changePid);
    expect(h.host.has('gone')).toBe(false);
    await waitFor(() => !groupAlive(gonePid!) && !groupAlive(changePid!));
  });
});

describe('the run call path', () => {
  it('stop() cancels every run in flight through its one stop signal, each recorded as CANCELLED', async () => {
    const h = await startHost([
      { name: 'slow', script: SDK_FIXTURE('good-plugin.mjs'), lifecycle: 'longLived', timeout: '30s' },
    ]);
    const runs = [1, 2, 3].map(() => h.host.run('slow', manual('sleep:20000')));
    await waitFor(() => h.host.supervisorOf('slow')!.process!.session!.callsInFlight === 3);
    await h.close();
    for (const out of await Promise.all(runs))
      expect(out).toMatchObject({ outcome: 'failed', error: { code: 'CANCELLED' } });
  });

  it('makes no AbortController for a warm run (the stop signal is shared)', async () => {
    const h = await host({ name: 'warm', script: SDK_FIXTURE('good-plugin.mjs'), lifecycle: 'longLived' });
    await h.host.run('warm', manual());
    const Real = globalThis.AbortController;
    let made = 0;
    globalThis.AbortController = class extends Real {
      constructor() {
        super();
        made++;
      }
    };
    try {
      for (let i = 0; i < 5; i++) expect((await h.host.run('warm', manual())).outcome).toBe('succeeded');
    } finally {
      globalThis.AbortController = Real;
    }
    expect(made).toBe(0);
  });
});

describe('interval triggers', () => {
  it('run the plugin with trigger interval on real timers, until the schedule is removed', async () => {
    const p: PluginYaml = {
      name: 'ticker',
      script: SDK_FIXTURE('good-plugin.mjs'),
      triggers: [{ type: 'interval', every: '1s' }],
    };
    const h = await host(p);
    const triggers: string[] = [];
    h.host.onResult((_name, _o, input) => triggers.push(input.trigger.type));
    // A generous bound, not a timing claim: each tick spawns a node process, slow on a loaded 2-core box.
    await waitFor(() => h.runs.list({ plugin: 'ticker' }).length >= 2, 20_000);
    expect(h.runs.list()[0]).toMatchObject({ trigger: 'interval', outcome: 'succeeded', events: 0 });
    expect(triggers[0]).toBe('interval');
    expect(h.host.status()[0]!.intervals).toEqual(['1s']);

    await h.host.apply(loadPlugins(h.dir, [{ ...p, triggers: [] }]));
    await new Promise((r) => setTimeout(r, 600)); // a run already started may still finish
    const count = h.runs.count();
    await new Promise((r) => setTimeout(r, 1500));
    expect(h.runs.count()).toBe(count);
  });
});

describe('events/publish from a long-lived observer', () => {
  it('stores accepted drafts through the emit pipeline and refuses bad ones one by one', async () => {
    const good = {
      id: 'obs-1',
      type: 'routerd.client.ipv4.observed',
      ttl: '300s',
      payload: { address: '10.1.2.3/32', domain: 'lan', ownerSide: 'onprem', source: 'arp' },
      futureField: 'ignored',
    };
    const captured = {
      id: 'obs-2',
      type: 'routerd.client.ipv4.observed',
      ttl: '300s',
      payload: { address: '10.88.60.9/32', domain: 'lan', ownerSide: 'onprem', source: 'arp' },
    };
    const badPayload = { type: 'routerd.client.ipv4.observed', ttl: '300s', payload: { address: 'nope' } };
    const h = await host({
      name: 'publisher',
      script: HOST_FIXTURE('publisher-plugin.mjs'),
      lifecycle: 'longLived',
      capabilities: ['observe.events'],
      config: { drafts: [good, captured, badPayload, good] },
    });
    const logged = await waitFor(() => h.logs.find((l) => l.msg === 'plugin publisher: verdicts'));
    // The plugin's own log fields arrive nested, under pluginFields.
    const result = (logged.fields.pluginFields as { result: unknown }).result as {
      accepted: string[];
      duplicates: string[];
      rejected: { id: string; reason: string }[];
    };
    expect(result.accepted).toEqual(['obs-1']);
    expect(result.duplicates).toEqual(['obs-1']);
    expect(result.rejected.map((r) => r.id)).toEqual(['obs-2', '/events/2']);
    expect(result.rejected[0]!.reason).toContain('captured by this node');
    expect(result.rejected[1]!.reason).toContain('/events/2/payload');

    const stored = h.store.list();
    expect(stored).toHaveLength(1);
    // The host, not the plugin, says which group and node the event belongs to.
    expect(stored[0]).toMatchObject({ id: 'obs-1', group: 'lab', sourceNode: 'onprem-1' });
  });

  it('refuses the observer fixture’s captured address and stores nothing', async () => {
    const h = await host({
      name: 'observer',
      script: SDK_FIXTURE('observer-plugin.mjs'),
      lifecycle: 'longLived',
      capabilities: ['observe.events'],
    });
    const logged = await waitFor(() => h.logs.find((l) => l.msg === 'plugin observer: published'));
    expect(logged.fields).toMatchObject({ plugin: 'observer', pluginFields: { accepted: 0 } });
    expect(h.store.list()).toEqual([]);
  });
});
