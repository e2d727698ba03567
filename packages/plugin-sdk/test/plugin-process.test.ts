import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cgroupHome,
  MAX_LOG_LINE_BYTES,
  PluginCgroup,
  PluginError,
  PluginProcess,
  type PluginProcessOptions,
  PluginSupervisor,
  probeCgroups,
} from '../src/client/index.js';
import { makeEvent, makeRequest } from '../src/testing/index.js';
import { example, fixture, pidAlive } from './helpers.js';

const started: PluginProcess[] = [];
afterEach(async () => {
  for (const p of started.splice(0)) if (p.running) await p.kill();
});

function plugin(file: string, extra: Partial<PluginProcessOptions> = {}): PluginProcess {
  const p = new PluginProcess({
    executable: file.startsWith('/') ? file : fixture(file),
    pluginName: file,
    host: { name: 'test', version: '0' },
    granted: ['propose.dynamicConfig'],
    ...extra,
  });
  started.push(p);
  return p;
}

const observed = makeEvent({
  type: 'routerd.client.ipv4.observed',
  payload: { address: '10.88.60.9/32', domain: 'lan', ownerSide: 'onprem', source: 'arp' },
});

async function rejection(p: Promise<unknown>): Promise<PluginError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PluginError);
  return err as PluginError;
}

describe('PluginProcess with well-behaved plugins', () => {
  it('handshakes and runs, reporting plugin and SDK versions', async () => {
    const p = plugin('good-plugin.mjs');
    const init = await p.start();
    expect(init.plugin).toEqual({ name: 'good-plugin', version: '1.2.3' });
    expect(init.sdk?.name).toBe('@routerd/plugin-sdk');
    const res = await p.run(makeRequest({ events: [observed] }));
    expect(res.status.resources?.[0]?.metadata.name).toBe('onprem-10-88-60-9');
    const exit = await p.stop();
    expect(exit).toMatchObject({ exitCode: 0, forced: false, leakedProcesses: false });
  });

  it('gives the child only PATH, explicit variables and the cookie', async () => {
    process.env.ROUTERD_TEST_SECRET = 'must-not-leak';
    const p = plugin('good-plugin.mjs', { env: { EXTRA: 'yes' } });
    await p.start();
    const res = await p.run(makeRequest({ trigger: { type: 'manual', topic: 'env' } }));
    const env = JSON.parse(res.status.diagnostics?.[0]?.summary ?? '{}');
    expect(Object.keys(env).sort()).toEqual([
      'EXTRA',
      'PATH',
      'ROUTERD_HOST_PID',
      'ROUTERD_PLUGIN_INSTANCE',
      'ROUTERD_PLUGIN_MAGIC_COOKIE',
    ]);
    delete process.env.ROUTERD_TEST_SECRET;
  });

  it('runs in its own process group', async () => {
    const p = plugin('good-plugin.mjs');
    await p.start();
    const { execFileSync } = await import('node:child_process');
    const pgid = Number(
      execFileSync('ps', ['-o', 'pgid=', '-p', String(p.pid)])
        .toString()
        .trim(),
    );
    expect(pgid).toBe(p.pid);
    expect(pgid).not.toBe(
      Number(
        execFileSync('ps', ['-o', 'pgid=', '-p', String(process.pid)])
          .toString()
          .trim(),
      ),
    );
  });

  it('a plugin without the SDK (Python, from the protocol doc alone) completes a handshake and a run', async () => {
    const p = plugin(example('no-sdk-python/plugin.py'));
    const init = await p.start();
    expect(init.plugin.name).toBe('no-sdk-python');
    const res = await p.run(makeRequest({ events: [observed] }));
    expect(res.status.resources?.[0]).toMatchObject({
      kind: 'RemoteAddressClaim',
      metadata: { name: 'onprem-10-88-60-9' },
      spec: { address: '10.88.60.9/32', ownerNode: 'onprem' },
    });
    expect((await p.stop()).exitCode).toBe(0);
  });

  it('delivers events/publish from an observer with observe.events granted', async () => {
    const published: unknown[] = [];
    const p = plugin('observer-plugin.mjs', {
      granted: ['observe.events'],
      onPublish: (params) => {
        published.push(...params.events);
        return { accepted: ['x'], duplicates: [], rejected: [] };
      },
    });
    await p.start();
    await expect.poll(() => published.length).toBe(1);
    expect(published[0]).toMatchObject({ type: 'routerd.client.ipv4.observed', ttl: '300s' });
  });
});

describe('PluginProcess with misbehaving plugins', () => {
  it('counts a stdout banner as a protocol violation and keeps working', async () => {
    const p = plugin('banner.mjs');
    await p.start();
    expect(p.session?.stats.stdoutViolations).toBe(1);
    expect(p.session?.stats.firstViolation).toBe('Welcome to my plugin v1!');
    expect((await p.run(makeRequest({ events: [observed] }))).status.resources).toHaveLength(1);
  });

  it('tears down on a banner when strictStdout is set', async () => {
    const p = plugin('banner.mjs', { strictStdout: true });
    const err = await rejection(p.start());
    expect(['PROCESS_EXITED', 'HANDSHAKE_FAILED']).toContain(err.code);
    expect(p.running).toBe(false);
  });

  it('tears down on a banner that arrives in one chunk with the handshake answer', async () => {
    const p = plugin('banner-with-answer.mjs', { strictStdout: true });
    const err = await rejection(p.start());
    expect(err.code).toBe('HANDSHAKE_FAILED');
    expect(err.message).toMatch(/not the protocol.*Welcome to my plugin v1!/);
    expect(p.running).toBe(false);
  });

  it('times out a plugin that never answers, and kills it', async () => {
    const p = plugin('never-answers.mjs', { handshakeTimeoutMs: 300 });
    const err = await rejection(p.start());
    expect(err.code).toBe('HANDSHAKE_TIMEOUT');
    expect(err.message).toMatch(/did not answer initialize within 300 ms/);
    expect(pidAlive(p.pid!)).toBe(false);
  });

  it('reports a crash mid-call with exit code and stderr tail', async () => {
    const p = plugin('crash-mid-call.mjs');
    await p.start();
    const err = await rejection(p.run(makeRequest()));
    expect(err.code).toBe('PROCESS_EXITED');
    expect(err.message).toMatch(/exit code 3/);
    expect(err.details.stderrTail).toContain('about to crash');
  });

  it('kills a grandchild the plugin leaked into its group', async () => {
    const logs: { msg: string; fields: Record<string, unknown> }[] = [];
    const p = plugin('leaks-grandchild.mjs', { granted: [], onLog: (e) => logs.push(e) });
    await p.start();
    await expect.poll(() => logs.find((l) => l.msg === 'grandchild')).toBeTruthy();
    const grandchild = logs.find((l) => l.msg === 'grandchild')!.fields.pid as number;
    expect(pidAlive(grandchild)).toBe(true);
    const exit = await p.stop();
    expect(exit.leakedProcesses).toBe(true);
    await expect.poll(() => pidAlive(grandchild)).toBe(false);
  });

  it('cuts a stderr line longer than 4 KiB to its head, saying how long it was', async () => {
    const logs: { level: string; msg: string }[] = [];
    const p = plugin('long-log-line.mjs', { granted: [], onLog: (e) => logs.push(e) });
    await p.start();
    await p.stop();
    expect(logs.map((l) => l.msg.slice(-40))).toEqual([
      expect.stringMatching(/L… \(truncated, 100000 bytes\)$/),
      expect.stringMatching(/stack … \(truncated, 10226 bytes\)$/),
      'after the long line',
      'last words without a line feed',
    ]);
    expect(Buffer.byteLength(logs[0]!.msg)).toBeLessThanOrEqual(MAX_LOG_LINE_BYTES);
    expect(logs[0]!.msg.startsWith('L'.repeat(4000))).toBe(true);
    // A cut JSON line is text now, but keeps the level it named.
    expect(logs.map((l) => l.level)).toEqual(['debug', 'error', 'warn', 'debug']);
  });

  it('fails the handshake when the plugin declares an ungranted capability, naming it', async () => {
    const p = plugin('claims-ungranted.mjs');
    const err = await rejection(p.start());
    expect(err.code).toBe('CAPABILITY_NOT_GRANTED');
    expect(err.message).toMatch(/propose\.providerAction/);
    expect(p.running).toBe(false);
  });

  it('refuses an invalid result with the field path', async () => {
    const p = plugin('raw-plugin.mjs', { args: ['invalid-result'] });
    await p.start();
    const err = await rejection(p.run(makeRequest()));
    expect(err.code).toBe('RESULT_SCHEMA_INVALID');
    expect(err.message).toMatch(/\/status\/observedAt/);
  });

  it('refuses a whole result that contains output needing an ungranted capability', async () => {
    const p = plugin('raw-plugin.mjs', { args: ['ungranted-plans'] });
    await p.start();
    const err = await rejection(p.run(makeRequest()));
    expect(err.code).toBe('CAPABILITY_NOT_GRANTED');
    expect(err.details.capability).toBe('propose.providerAction');
  });

  it('keeps draining stderr while a plugin floods it', async () => {
    const p = plugin('flood-stderr.mjs');
    await p.start();
    const res = await p.run(makeRequest(), { timeoutMs: 20_000 });
    expect(res.status.diagnostics?.[0]?.summary).toBe('flooded');
    await expect.poll(() => p.stderrTail.toString()).toContain('END-OF-FLOOD');
    expect(p.stderrTail.toString().length).toBeLessThanOrEqual(16 * 1024);
  });

  it('ends a plugin that publishes and never reads its answers, before they fill the host', async () => {
    let calls = 0;
    const p = plugin('deaf-publisher.mjs', {
      granted: ['observe.events'],
      // The bound is twice the message size limit: a small limit makes it quick to reach.
      limits: { maxMessageBytes: 64 * 1024 },
      onPublish: () => {
        calls++;
        return { accepted: ['x'], duplicates: [], rejected: [] };
      },
    });
    await p.start();
    const exit = await p.waitExit();
    expect(exit.signal).toBe('SIGKILL');
    expect(exit.killedBecause).toMatch(
      /^plugin does not read its stdin: the other side does not read what is written to it: 0\.1 MiB of messages to it were waiting$/,
    );
    // It was ended by the bound, not at its first unread answer: at least the bound's worth of answers
    // (each ~90 bytes, counted at 90 + 256 while queued) was written. How many more the kernel pipe took
    // before that depends on the machine's pipe size, so it is not asserted.
    const answerBytes =
      `${JSON.stringify({ jsonrpc: '2.0', id: 'p:1000', result: { accepted: ['x'], duplicates: [], rejected: [] } })}\n`
        .length;
    expect(calls).toBeGreaterThanOrEqual(Math.floor((128 * 1024) / (answerBytes + 256)));
  });

  it('keeps a plugin that floods events/publish but reads its answers: every call is answered', async () => {
    let calls = 0;
    const lines: string[] = [];
    const p = plugin('publish-flood.mjs', {
      args: ['20000'],
      granted: ['observe.events'],
      onPublish: () => {
        calls++;
        return { accepted: ['x'], duplicates: [], rejected: [] };
      },
      onLog: (entry) => lines.push(JSON.stringify(entry)),
    });
    await p.start();
    await expect
      .poll(() => lines.find((l) => l.includes('flood answered')), { timeout: 30_000 })
      .toBeDefined();
    expect(lines.find((l) => l.includes('flood answered'))).toContain('"accepted":20000');
    expect(calls).toBe(20_000);
    expect(p.running).toBe(true);
    expect(p.session!.stats.notReading).toBeUndefined();
  });

  it('escalates to signals for a plugin that ignores stdin EOF and SIGTERM', async () => {
    const p = plugin('raw-plugin.mjs', { args: ['ignore-eof'] });
    await p.start();
    const exit = await p.stop();
    expect(exit.forced).toBe(true);
    expect(exit.signal).toBe('SIGKILL');
    expect(pidAlive(p.pid!)).toBe(false);
  });

  it('cancels at the deadline; a plugin that honours cancel stays usable', async () => {
    const progress: unknown[] = [];
    const p = plugin('good-plugin.mjs', { cancelGraceMs: 500, onProgress: (x) => progress.push(x) });
    await p.start();
    const err = await rejection(
      p.run(makeRequest({ trigger: { type: 'manual', topic: 'sleep:5000' } }), { timeoutMs: 200 }),
    );
    expect(err.code).toBe('REQUEST_TIMEOUT');
    expect(progress).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 700));
    expect(p.running).toBe(true);
    expect((await p.run(makeRequest({ events: [observed] }))).status.resources).toHaveLength(1);
    expect(p.session?.stats.lateResponses).toBe(0);
  });

  it('kills a plugin that cannot even answer a ping after the cancel grace', async () => {
    const p = plugin('raw-plugin.mjs', { args: ['wedge'], cancelGraceMs: 300 });
    await p.start();
    const err = await rejection(p.run(makeRequest(), { timeoutMs: 200 }));
    expect(err.code).toBe('REQUEST_TIMEOUT');
    const exit = await p.waitExit();
    expect(exit.signal).toBe('SIGKILL');
    expect(pidAlive(p.pid!)).toBe(false);
  });

  it('a plugin started by hand without the cookie says what it is and exits 1', async () => {
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(fixture('good-plugin.mjs'), [], {
      env: { PATH: process.env.PATH },
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/is a routerd plugin/);
  });

  it('refuses a relative executable path', async () => {
    const p = new PluginProcess({
      executable: 'plugin.mjs',
      pluginName: 'x',
      host: { name: 't', version: '0' },
      granted: [],
    });
    await expect(p.start()).rejects.toThrow(/absolute path/);
  });
});

describe("processes that leave the plugin's process group", () => {
  // Where the host's cgroup is writable (root, systemd Delegate=yes) each plugin gets a cgroup of its own.
  const cgroups = !('reason' in probeCgroups());
  const escapees: number[] = [];
  afterEach(() => {
    for (const pid of escapees.splice(0)) if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
  });

  async function startEscaper(extra: Partial<PluginProcessOptions> = {}, args: string[] = []) {
    const logs: { msg: string; fields: Record<string, unknown> }[] = [];
    const p = plugin(fixture('escapes-group.mjs'), {
      granted: [],
      args,
      onLog: (e) => logs.push(e),
      ...extra,
    });
    await p.start();
    await expect.poll(() => logs.find((l) => l.msg === 'grandchild')).toBeTruthy();
    const pid = logs.find((l) => l.msg === 'grandchild')!.fields.pid as number;
    escapees.push(pid);
    await expect.poll(() => pidAlive(pid)).toBe(true);
    return { p, pid };
  }

  it('kills a grandchild that called setsid(), and says it was left behind', async () => {
    const { p, pid } = await startEscaper();
    const dir = p.cgroupDir;
    const exit = await p.stop();
    expect(pidAlive(pid)).toBe(false);
    expect(exit).toMatchObject({ leakedProcesses: true, containment: cgroups ? 'cgroup' : 'processGroup' });
    expect(exit.leftBehind).toContainEqual({ pid, command: 'sleep 300' });
    // The plugin's cgroup goes with it.
    if (dir) expect(existsSync(dir)).toBe(false);
  });

  it('without a cgroup, finds a setsid() grandchild by its environment marker and kills it', async () => {
    const { p, pid } = await startEscaper({ cgroup: false });
    const exit = await p.stop();
    expect(pidAlive(pid)).toBe(false);
    expect(p.cgroupUnavailable).toBe('cgroups are turned off for this plugin');
    expect(exit).toMatchObject({ leakedProcesses: true, containment: 'processGroup' });
    expect(exit.leftBehind).toContainEqual({ pid, command: 'sleep 300' });
  });

  it('a grandchild that also drops its environment is killed by the cgroup (without one: the documented limit)', async () => {
    const { p, pid } = await startEscaper({}, ['--drop-env']);
    const exit = await p.stop();
    expect(pidAlive(pid)).toBe(!cgroups);
    if (cgroups) expect(exit.leftBehind.map((l) => l.pid)).toContain(pid);
  });

  it('kills and removes the plugin cgroups a crashed host left behind, and only those', async () => {
    const home = cgroupHome();
    const stale = PluginCgroup.sweepStale;
    if ('reason' in home) {
      expect(await stale()).toEqual({ removed: [], killed: [] });
      return;
    }
    // A host pid that no longer runs: a process that has exited.
    const deadHost = spawnSync('true').pid!;
    const mine = (hostPid: number) => join(home.dir, `routerd-plugin-orphan-${hostPid}-1`);
    const sleeper = await startEscaper(); // a live host's plugin (this one's): must survive the sweep
    for (const hostPid of [deadHost, process.pid]) if (!existsSync(mine(hostPid))) mkdirSync(mine(hostPid));
    const orphan = spawnSync(
      'sh',
      [
        '-c',
        `echo $$ > ${mine(deadHost)}/cgroup.procs; setsid sleep 300 </dev/null >/dev/null 2>&1 & echo $!`,
      ],
      {
        encoding: 'utf8',
      },
    );
    const orphanPid = Number(orphan.stdout.trim());
    escapees.push(orphanPid);
    expect(pidAlive(orphanPid)).toBe(true);

    const swept = await stale();
    expect(swept.removed).toContain(`routerd-plugin-orphan-${deadHost}-1`);
    expect(swept.killed.map((k) => k.pid)).toContain(orphanPid);
    expect(pidAlive(orphanPid)).toBe(false);
    expect(existsSync(mine(process.pid))).toBe(true);
    expect(pidAlive(sleeper.pid)).toBe(true);
    rmdirSync(mine(process.pid));
    await sleeper.p.stop();
  });
});

describe('PluginSupervisor', () => {
  it('restarts a crashing long-lived plugin within its budget, then marks it degraded', async () => {
    const states: string[] = [];
    const sup = new PluginSupervisor({
      executable: fixture('crash-mid-call.mjs'),
      pluginName: 'crasher',
      host: { name: 't', version: '0' },
      granted: ['propose.dynamicConfig'],
      lifecycle: 'longLived',
      restartBudget: { maxRestarts: 2, windowMs: 60_000 },
      backoff: { baseMs: 10, maxMs: 50 },
      onStateChange: (s) => states.push(s),
    });
    await sup.start();
    // Budget 2: the first two crashes are restarted, the third marks the plugin degraded.
    for (let crash = 1; crash <= 3; crash++) {
      await expect.poll(() => sup.state, { timeout: 10_000 }).toBe('running');
      await sup.run(makeRequest()).catch(() => {});
      await expect.poll(() => sup.state).not.toBe('running');
    }
    await expect.poll(() => sup.state).toBe('degraded');
    expect(states.filter((s) => s === 'backoff')).toHaveLength(2);
    expect(sup.state).toBe('degraded');
    expect(sup.lastError).toMatch(/restart budget/);
    await expect(sup.run(makeRequest())).rejects.toMatchObject({ code: 'DEGRADED' });
    await sup.stop();
  });

  it('restarts a plugin ended for not reading its stdin, and says why', async () => {
    const reasons: string[] = [];
    const sup = new PluginSupervisor({
      executable: fixture('deaf-publisher.mjs'),
      pluginName: 'deaf',
      host: { name: 't', version: '0' },
      granted: ['observe.events'],
      limits: { maxMessageBytes: 64 * 1024 },
      onPublish: () => ({ accepted: ['x'], duplicates: [], rejected: [] }),
      lifecycle: 'longLived',
      backoff: { baseMs: 10, maxMs: 10 },
      onStateChange: (state, reason) => {
        if (state === 'backoff' && reason) reasons.push(reason);
      },
    });
    await sup.start();
    await expect.poll(() => reasons.length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(reasons[0]).toMatch(
      /^plugin exited unexpectedly \(killed by SIGKILL\): plugin does not read its stdin: .* MiB of messages to it were waiting$/,
    );
    await sup.stop();
  });

  it('does not restart-loop on a handshake refusal', async () => {
    const sup = new PluginSupervisor({
      executable: fixture('claims-ungranted.mjs'),
      pluginName: 'greedy',
      host: { name: 't', version: '0' },
      granted: ['propose.dynamicConfig'],
      lifecycle: 'longLived',
      backoff: { baseMs: 10, maxMs: 10 },
      onStateChange: (state) => states.push(state),
    });
    const states: string[] = [];
    await expect(sup.start()).rejects.toMatchObject({ code: 'CAPABILITY_NOT_GRANTED' });
    expect(sup.state).toBe('degraded');
    // The refused process's exit must not schedule a restart behind the refusal's back.
    await new Promise((r) => setTimeout(r, 300));
    expect(states).toEqual(['starting', 'degraded']);
  });

  it('spawns a one-shot plugin per run and leaves nothing running', async () => {
    const sup = new PluginSupervisor({
      executable: fixture('good-plugin.mjs'),
      pluginName: 'good',
      host: { name: 't', version: '0' },
      granted: ['propose.dynamicConfig'],
      lifecycle: 'oneShot',
    });
    await sup.start();
    const res = await sup.run(makeRequest({ events: [observed] }));
    expect(res.status.resources).toHaveLength(1);
    expect(sup.process).toBeUndefined();
    await sup.stop();
  });
});

describe('concurrency', () => {
  it('keeps at most limits.maxInFlight calls on the wire and answers each by id', async () => {
    const p = plugin('good-plugin.mjs', { limits: { maxInFlight: 2 } });
    await p.start();
    let peak = 0;
    const watcher = setInterval(() => {
      peak = Math.max(peak, p.session?.callsInFlight ?? 0);
    }, 5);
    const runs = [300, 100, 200, 50].map((ms) =>
      p.run(makeRequest({ trigger: { type: 'manual', topic: `sleep:${ms}` } })),
    );
    const results = await Promise.all(runs);
    clearInterval(watcher);
    expect(results).toHaveLength(4);
    expect(peak).toBe(2);
  });
});
