// A plugin that attacks its host (test/fixtures/hostile-plugin.mjs, a real child process) cannot flood
// the daemon's log, forge the daemon's log fields, bloat the run ledger, or leave a process running
// by moving it out of its process group.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupHome, MAX_LOG_LINE_BYTES, MAX_STORED_TEXT_BYTES, pidAlive } from '@routerd/plugin-sdk/client';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { DEFAULT_PLUGIN_LOG_LIMITS } from '../../src/plugins/plugin-log.js';
import { controlRequest, groupConfig, TestDaemon, tempDir, writeFile } from '../../src/testing/index.js';
import { HOST_FIXTURE, pluginYaml, SDK_FIXTURE, type StartHostOptions, startHost } from './harness.js';

const HOSTILE = HOST_FIXTURE('hostile-plugin.mjs');

const hosts: { close(): Promise<void> }[] = [];
const escapees: number[] = [];
const daemons: TestDaemon[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
  await Promise.all(daemons.splice(0).map((d) => d.stop()));
  for (const pid of escapees.splice(0)) if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
});

async function hostile(opts: StartHostOptions = {}) {
  const h = await startHost([{ name: 'hostile', script: HOSTILE }], opts);
  hosts.push(h);
  const run = (topic: string) => h.host.run('hostile', { trigger: { type: 'manual', topic }, events: [] });
  const pluginLines = () => h.logs.filter((l) => l.msg.startsWith('plugin hostile: '));
  return { ...h, run, pluginLines };
}

describe('a hostile plugin and the daemon log', () => {
  it('cannot flood it: past the burst, lines are only counted, in one summary line', async () => {
    // Time stands still, so the bucket never refills: exactly the burst gets through.
    const h = await hostile({ clock: new ManualClock() });
    expect((await h.run('flood:20000')).outcome).toBe('succeeded');
    const lines = h.pluginLines().filter((l) => l.msg.includes('flood line'));
    expect(lines).toHaveLength(DEFAULT_PLUGIN_LOG_LIMITS.burst);
    const summaries = h.logs.filter((l) => l.fields.suppressedLines !== undefined);
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({ level: 'warn', fields: { plugin: 'hostile' } });
    expect(summaries[0]!.msg).toMatch(/^plugin hostile: \d+ log lines suppressed/);
    const suppressed = summaries[0]!.fields.suppressedLines as number;
    expect(suppressed).toBeGreaterThan(0);
    expect(lines.length + suppressed).toBeLessThanOrEqual(20_000);
  });

  it('gets its lines through again as the clock refills the bucket', async () => {
    const clock = new ManualClock();
    const h = await hostile({ clock });
    await h.run(`flood:${DEFAULT_PLUGIN_LOG_LIMITS.burst + 50}`);
    expect(h.pluginLines().filter((l) => l.msg.includes('flood line'))).toHaveLength(
      DEFAULT_PLUGIN_LOG_LIMITS.burst,
    );
    clock.advance(10_000); // a full bucket again, even if a late flood line takes a token
    await h.run('forge');
    expect(h.pluginLines().at(-1)!.msg).toBe('plugin hostile: forged');
  });

  it("cannot overwrite the daemon's fields: the plugin's own are nested under pluginFields", async () => {
    const h = await hostile();
    await h.run('forge');
    const forged = h.logs.find((l) => l.msg === 'plugin hostile: forged');
    expect(forged?.fields).toEqual({
      plugin: 'hostile',
      pluginFields: { pid: 1, hostname: 'evil', service: 'evil', time: 0, plugin: 'someone-else' },
    });
  });

  it('gets a stderr line longer than 4 KiB cut, with a marker', async () => {
    const h = await hostile();
    await h.run('long-line:100000');
    const long = h.pluginLines().find((l) => l.msg.includes('LLLL'))!;
    expect(long.msg).toMatch(/^plugin hostile: L+… \(truncated, 100000 bytes\)$/);
    expect(Buffer.byteLength(long.msg)).toBeLessThanOrEqual(MAX_LOG_LINE_BYTES + 'plugin hostile: '.length);
  });

  it('gets the same limits for notifications/message: counted past the burst, cut, nested', async () => {
    const h = await hostile({ clock: new ManualClock() });
    await h.run('messages:5');
    const lines = h.pluginLines();
    expect(lines[0]).toEqual({
      level: 'warn',
      msg: 'plugin hostile: {"n":0,"pid":1,"hostname":"evil"}',
      fields: { plugin: 'hostile', pluginFields: { logger: 'evil' } },
    });
    expect(lines[5]!.msg).toMatch(/^plugin hostile: M+… \(truncated, 100000 bytes\)$/);
    expect(Buffer.byteLength(lines[5]!.msg)).toBeLessThanOrEqual(
      MAX_LOG_LINE_BYTES + 'plugin hostile: '.length,
    );

    await h.run(`messages:${DEFAULT_PLUGIN_LOG_LIMITS.burst}`);
    expect(h.pluginLines().filter((l) => l.fields.pluginFields)).toHaveLength(
      DEFAULT_PLUGIN_LOG_LIMITS.burst,
    );
    expect(h.logs.find((l) => l.fields.suppressedLines !== undefined)?.fields.suppressedLines).toBe(7);
  });

  it("in the real daemon, cannot change or add fields of the daemon's own log line", async () => {
    const dir = tempDir();
    const config = writeFile(
      dir,
      'config.yaml',
      [groupConfig(), pluginYaml({ name: 'hostile', script: HOSTILE })].join('---\n'),
    );
    const daemon = await TestDaemon.start({ configFiles: [config], stateDir: join(dir, 'state') });
    daemons.push(daemon);
    const res = await controlRequest(daemon.socketPath, 'POST', '/v1/plugins/hostile/run', {
      topic: 'forge',
    });
    expect(res.body.run.outcome).toBe('succeeded');
    const line = await daemon.waitForLog((l) => l.msg === 'plugin hostile: forged');
    expect(line).toMatchObject({
      pid: daemon.child.pid,
      service: 'routerd-eventd',
      plugin: 'hostile',
      pluginFields: { pid: 1, hostname: 'evil', service: 'evil', time: 0, plugin: 'someone-else' },
    });
    expect(typeof line.time).toBe('string');
    // The daemon's logger writes no hostname: a plugin cannot add one either.
    expect(line).not.toHaveProperty('hostname');
  });
});

describe('a hostile plugin and the run ledger', () => {
  it('cannot store a 100 KB JSON-RPC error message: it is cut to 2 KiB everywhere', async () => {
    const h = await hostile();
    const out = await h.run('huge-error:100000');
    expect(out.outcome).toBe('failed');
    expect(out.error?.code).toBe('RPC_ERROR');
    expect(Buffer.byteLength(out.error!.message)).toBeLessThanOrEqual(MAX_STORED_TEXT_BYTES);
    expect(out.error!.message).toMatch(/^plugin\/run failed \(-32603\): E+… \(truncated, 100\d{3} bytes\)$/);
    const [record] = h.runs.list({ plugin: 'hostile' });
    expect(record!.errorMessage).toBe(out.error!.message);
    const logged = h.logs.find((l) => l.msg === 'plugin run failed');
    expect(logged?.fields.reason).toBe(out.error!.message);
  });
});

describe('a hostile plugin and its processes', () => {
  for (const cgroup of [true, false]) {
    it(`kills a grandchild that called setsid() when a one-shot run ends, and records it (cgroup: ${cgroup})`, async () => {
      const h = await hostile({ supervision: { cgroup } });
      const pidFile = join(h.dir, 'grandchild.pid');
      expect((await h.run(`setsid:${pidFile}`)).outcome).toBe('succeeded');
      const grandchild = Number(readFileSync(pidFile, 'utf8'));
      escapees.push(grandchild);
      expect(pidAlive(grandchild)).toBe(false);
      const [record] = h.runs.list({ plugin: 'hostile' });
      expect(record!.leftBehind).toMatch(
        new RegExp(`^killed 1 process left running, found .*: ${grandchild} \\(sleep 300\\)$`),
      );
      const warned = h.logs.find(
        (l) => l.msg === 'plugin left processes running after it exited: killed them',
      );
      expect(warned?.fields).toMatchObject({
        plugin: 'hostile',
        processes: [{ pid: grandchild, command: 'sleep 300' }],
      });
    });
  }

  it("when the real daemon stops, a long-lived plugin's setsid() grandchild goes too, and so does its cgroup", async () => {
    const dir = tempDir();
    const config = writeFile(
      dir,
      'config.yaml',
      [
        groupConfig(),
        pluginYaml({ name: 'escaper', script: SDK_FIXTURE('escapes-group.mjs'), lifecycle: 'longLived' }),
      ].join('---\n'),
    );
    const daemon = await TestDaemon.start({ configFiles: [config], stateDir: join(dir, 'state') });
    daemons.push(daemon);
    const logged = await daemon.waitForLog((l) => l.msg === 'plugin escaper: grandchild');
    const grandchild = (logged.pluginFields as { pid: number }).pid;
    escapees.push(grandchild);
    expect(pidAlive(grandchild)).toBe(true);
    await daemon.stop();
    // SIGKILL is sent before the daemon exits; on a loaded machine the grandchild may not have been
    // scheduled to die yet when the daemon's exit is seen, so its death is awaited, briefly.
    await expect.poll(() => pidAlive(grandchild), { timeout: 5_000 }).toBe(false);
    const home = cgroupHome();
    const daemonsCgroups =
      'dir' in home ? readdirSync(home.dir).filter((n) => n.includes(`-${daemon.child.pid}-`)) : [];
    expect(daemonsCgroups).toEqual([]);
  });

  it('records nothing left behind for a plugin that cleans up after itself', async () => {
    const h = await hostile();
    await h.run('forge');
    expect(h.runs.list({ plugin: 'hostile' })[0]!.leftBehind).toBeNull();
  });
});
