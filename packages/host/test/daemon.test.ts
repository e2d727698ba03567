// The real, built routerd-eventd as a child process on a temporary state directory, driven over its
// control socket. routerctl-driven scenarios are in tests/e2e (and routerctl's own in packages/cli/test).
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import {
  controlRequest,
  DAEMON_BIN,
  freePort,
  groupConfig,
  TestDaemon,
  tempDir,
  writeFile,
} from '../src/testing/index.js';

const running: TestDaemon[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((d) => d.stop()));
});

async function start(configYaml = groupConfig({ captured: ['10.88.60.0/24'] })) {
  const dir = tempDir();
  const config = writeFile(dir, 'federation.yaml', configYaml);
  const daemon = await TestDaemon.start({ configFiles: [config], stateDir: join(dir, 'state') });
  running.push(daemon);
  return { daemon, config, dir };
}

/** A fixed expiry (within the group's 24h maxEventTtl), so sending the same id twice is a duplicate rather than a TTL refresh. */
const FIXED = { ttl: undefined, expiresAt: new Date(Date.now() + 3_600_000).toISOString() };
const observed = (address: string, extra: object = {}) => ({
  type: 'routerd.client.ipv4.observed',
  ttl: '300s',
  payload: { address, domain: 'lan', ownerSide: 'onprem', source: 'arp' },
  ...extra,
});

function runDaemon(args: string[]) {
  // The timeout only stops a daemon that hangs (as it once did on a FIFO); no test asserts on it.
  return spawnSync(process.execPath, [DAEMON_BIN, ...args], { encoding: 'utf8', timeout: 20_000 });
}

describe('routerd-eventd check', () => {
  it('accepts a valid config and says what it holds', () => {
    const file = writeFile(tempDir(), 'ok.yaml', groupConfig());
    const r = runDaemon(['check', '--config', file]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('config OK: 1 EventGroup, 0 EventPeer, 0 EventSubscription, 0 Plugin in 1 file\n');
  });

  it('exits 1 and points every error at file, line, document, Kind/name and field', () => {
    const dir = tempDir();
    const good = writeFile(dir, 'group.yaml', groupConfig());
    const bad = writeFile(
      dir,
      'peers.yaml',
      `apiVersion: federation.routerd.net/v1alpha1
kind: EventPeer
metadata:
  name: cloud
spec:
  groupRef: missing
  nodeName: cloud-1
  endpoint: ftp://nowhere
`,
    );
    const r = runDaemon(['check', '--config', good, '--config', bad]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('routerd-eventd check: 1 problem:');
    expect(r.stderr).toContain(
      `${bad}:8: document 1 (EventPeer/cloud): /spec/endpoint must be an http:// or https:// URL such as http://169.254.10.2:9443 (was "ftp://nowhere")`,
    );
    const refs = writeFile(
      dir,
      'refs.yaml',
      readAndReplace(bad, 'ftp://nowhere', 'https://169.254.10.2:9443'),
    );
    const r2 = runDaemon(['check', '--config', good, refs]);
    expect(r2.status).toBe(1);
    expect(r2.stderr).toContain(
      `${refs}:6: document 1 (EventPeer/cloud): /spec/groupRef refers to EventGroup "missing"`,
    );
  });

  it('refuses a config file that is a FIFO at once instead of waiting for a writer', () => {
    const fifo = join(tempDir(), 'pipe.yaml');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const r = runDaemon(['check', '--config', fifo]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `routerd-eventd check: 1 problem:\n  ${fifo}: / cannot read config file: it is a FIFO (named pipe), not a regular file\n`,
    );
  });

  it('exits 2 on a usage error', () => {
    const r = runDaemon(['check']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--config FILE is required');
  });
});

describe('routerd-eventd', () => {
  it('serves the control socket with mode 0600 in a 0700 state directory; the database files are 0600', async () => {
    const { daemon } = await start();
    expect(statSync(daemon.socketPath).mode & 0o777).toBe(0o600);
    expect(statSync(daemon.stateDir).mode & 0o777).toBe(0o700);
    // A write, so the write-ahead log and its index exist too: every event is in one of these files.
    expect(
      (await controlRequest(daemon.socketPath, 'POST', '/v1/events', observed('10.88.61.9/32'))).status,
    ).toBe(201);
    for (const name of ['routerd.db', 'routerd.db-wal', 'routerd.db-shm'])
      expect({ name, mode: statSync(join(daemon.stateDir, name)).mode & 0o777 }).toEqual({
        name,
        mode: 0o600,
      });
    const status = await controlRequest(daemon.socketPath, 'GET', '/v1/status');
    expect(status.body).toMatchObject({
      groups: [{ name: 'lab', nodeName: 'onprem-1' }],
      config: { generation: 1 },
    });
  });

  it('emits single and batch, lists and gets; refuses bad input with paths and stores nothing', async () => {
    const { daemon } = await start();
    const sock = daemon.socketPath;
    const one = await controlRequest(
      sock,
      'POST',
      '/v1/events',
      observed('10.88.61.9/32', { id: 'one', ...FIXED }),
    );
    expect(one.status).toBe(201);
    expect(one.body.result).toMatchObject({ id: 'one', status: 'stored' });
    expect(
      (await controlRequest(sock, 'POST', '/v1/events', observed('10.88.61.9/32', { id: 'one', ...FIXED })))
        .status,
    ).toBe(200);

    const batch = await controlRequest(sock, 'POST', '/v1/events/batch', {
      events: [observed('10.88.61.10/32'), observed('10.88.61.9/32', { id: 'one', ...FIXED })],
    });
    expect(batch.status).toBe(200);
    expect(batch.body.results.map((r: { status: string }) => r.status)).toEqual(['stored', 'duplicate']);

    const refused = await controlRequest(sock, 'POST', '/v1/events/batch', {
      events: [observed('10.88.61.12/32'), observed('10.88.61.13/32', { ttl: 'soon' })],
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'invalid_event', issues: [{ path: '/events/1/ttl' }] });

    const captured = await controlRequest(sock, 'POST', '/v1/events', observed('10.88.60.9/32'));
    expect(captured.status).toBe(422);
    expect(captured.body.error.code).toBe('self_captured_address');
    expect(captured.body.error.message).toContain('10.88.60.9/32 is captured by this node');

    const list = await controlRequest(sock, 'GET', '/v1/events');
    expect(list.body.events).toHaveLength(2);
    expect((await controlRequest(sock, 'GET', '/v1/events/one')).body.event.id).toBe('one');

    expect((await controlRequest(sock, 'GET', '/v1/events/nope')).body).toEqual({
      error: { code: 'not_found', message: 'no event with id nope' },
    });
    expect((await controlRequest(sock, 'GET', '/v1/events?limit=0')).body.error.issues).toEqual([
      { path: '/limit', message: 'must be at least 1 (was 0)' },
    ]);
    // A field given twice is said so (it read "must be a string (was an object)"), on every route.
    for (const path of [
      '/v1/events?type=a&type=b&limit=1',
      '/v1/federation/deliveries?peer=a&peer=b&peer=c',
    ]) {
      const twice = await controlRequest(sock, 'GET', path);
      expect([twice.status, twice.body.error.message], path).toEqual([
        400,
        path.includes('peer')
          ? 'invalid query: /peer is given 3 times: give it once'
          : 'invalid query: /type is given 2 times: give it once',
      ]);
    }
    const badJson = await controlRequest(sock, 'POST', '/v1/events', '{not json');
    expect([badJson.status, badJson.body.error.code]).toEqual([400, 'invalid_json']);
    expect(badJson.body.error.message).toMatch(/^request body is not valid JSON: /);
    // JSON, but not an object: said as such (the parser's own words were "not valid JSON").
    for (const [text, kind] of [
      ['null', 'null'],
      ['5', 'a number'],
      ['"x"', 'a string'],
    ]) {
      const scalar = await controlRequest(sock, 'POST', '/v1/events', text);
      expect([scalar.status, scalar.body.error.message]).toEqual([
        400,
        `request body must be a JSON object (was ${kind})`,
      ]);
    }
    // A POST that takes no field refuses one rather than ignoring it: {"dryRun": true} used to prune.
    const prune = await controlRequest(sock, 'POST', '/v1/federation/prune', { dryRun: true });
    expect([prune.status, prune.body.error.issues]).toEqual([
      400,
      [
        {
          path: '/dryRun',
          message:
            'is not a known field here: POST prunes now and takes no field; GET /v1/federation/prune is the dry run',
        },
      ],
    ]);
    expect((await controlRequest(sock, 'POST', '/v1/backup', { to: '/tmp/x' })).body.error.issues).toEqual([
      { path: '/to', message: 'is not a known field here: a backup takes no field' },
    ]);
    expect((await controlRequest(sock, 'POST', '/v1/federation/prune', {})).status).toBe(200);
    const array = await controlRequest(sock, 'POST', '/v1/events', '[{"type":"a.b","payload":{}}]');
    expect([array.status, array.body.error.message]).toEqual([
      400,
      'request body must be one event, a JSON object (was an array): several go to POST /v1/events/batch as {"events": [...]}',
    ]);
    const noRoute = await controlRequest(sock, 'GET', '/v2/things');
    expect([noRoute.status, noRoute.body.error.code]).toEqual([404, 'not_found']);
  });

  it('takes an emit however its body comes (gzip, a query string, a charset), refuses what it cannot read by name, and loses nothing stored', async () => {
    const { daemon } = await start();
    const sock = daemon.socketPath;
    const send = (path: string, body: Buffer, headers: Record<string, string>) =>
      new Promise<{
        status: number;
        body: { results?: unknown[]; error?: { code: string; message: string } };
      }>((resolve, reject) => {
        const req = request({ agent: false, socketPath: sock, method: 'POST', path, headers }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (c: string) => {
            text += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
        });
        req.on('error', reject);
        req.end(body);
      });
    const batchOf = (address: string) => Buffer.from(JSON.stringify({ events: [observed(address)] }));
    const json = { 'content-type': 'application/json' };

    const gzip = await send('/v1/events/batch', gzipSync(batchOf('10.88.61.20/32')), {
      ...json,
      'content-encoding': 'gzip',
    });
    const query = await send('/v1/events/batch?from=test', batchOf('10.88.61.21/32'), json);
    const charset = await send('/v1/events/batch', batchOf('10.88.61.22/32'), {
      'content-type': 'application/json; charset=UTF-8',
    });
    expect([gzip.status, query.status, charset.status]).toEqual([200, 200, 200]);
    expect((await controlRequest(sock, 'GET', '/v1/events')).body.events).toHaveLength(3);

    const latin1 = await send('/v1/events/batch', batchOf('10.88.61.23/32'), {
      'content-type': 'application/json; charset=latin1',
    });
    expect([latin1.status, latin1.body.error?.message]).toEqual([415, 'unsupported charset "LATIN1"']);
    const text = await send('/v1/events/batch', batchOf('10.88.61.24/32'), { 'content-type': 'text/plain' });
    expect([text.status, text.body.error?.code]).toEqual([400, 'invalid_request']);
    const empty = await send('/v1/events/batch', Buffer.alloc(0), json);
    expect([empty.status, empty.body.error?.message]).toEqual([
      400,
      'invalid batch request: /events must be an array (was missing)',
    ]);
    // Over 32 MiB, sent chunked (no Content-Length to refuse it by): read up to the limit and refused
    // (413); the last MiB is read off so that the answer arrives rather than a reset.
    const huge = Buffer.alloc(33 * 2 ** 20, 0x20);
    const oversize = await send('/v1/events/batch', huge, { ...json, 'transfer-encoding': 'chunked' });
    expect([oversize.status, oversize.body.error?.code]).toEqual([413, 'payload_too_large']);
    expect((await controlRequest(sock, 'GET', '/v1/events')).body.events).toHaveLength(3);
  });

  it('keeps everything across a restart, and stops cleanly on SIGTERM', async () => {
    const { daemon } = await start();
    await controlRequest(
      daemon.socketPath,
      'POST',
      '/v1/events',
      observed('10.88.61.9/32', { id: 'kept', ...FIXED }),
    );
    const before = (await controlRequest(daemon.socketPath, 'GET', '/v1/events')).body.events;
    const again = await daemon.restart();
    running.push(again);
    expect(await daemon.exited()).toBe(0);
    expect(daemon.logs.map((l) => l.msg)).toContain('stopped');
    expect((await controlRequest(again.socketPath, 'GET', '/v1/events')).body.events).toEqual(before);
    const dup = await controlRequest(
      again.socketPath,
      'POST',
      '/v1/events',
      observed('10.88.61.9/32', { id: 'kept', ...FIXED }),
    );
    expect(dup.body.result.status).toBe('duplicate');
  });

  it('refuses a state directory that group or others can open, and changes nothing in it', () => {
    const dir = tempDir();
    const stateDir = join(dir, 'state');
    mkdirSync(stateDir, { mode: 0o700 });
    chmodSync(stateDir, 0o755);
    const config = writeFile(dir, 'federation.yaml', groupConfig());
    const r = runDaemon(['--config', config, '--state-dir', stateDir]);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stderr.trim().split('\n').at(-1)!).msg).toBe(
      `the state directory ${stateDir} is open to group or others (mode 755), but its database holds every event: run chmod 700 ${stateDir} (or pass a directory of its own as --state-dir)`,
    );
    expect(readdirSync(stateDir)).toEqual([]);
    expect(statSync(stateDir).mode & 0o777).toBe(0o755);
  });

  it('makes database files left readable by an older version 0600, and says so', async () => {
    const { daemon } = await start();
    await daemon.stop();
    const db = join(daemon.stateDir, 'routerd.db');
    chmodSync(db, 0o644);
    const again = await daemon.restart();
    running.push(again);
    const line = await again.waitForLog((l) => l.msg.startsWith('database files were readable'));
    expect(line).toMatchObject({ level: 40, files: [db] });
    expect(statSync(db).mode & 0o777).toBe(0o600);
  });

  it('refuses to start a second daemon on the same state directory', async () => {
    const { daemon, config } = await start();
    const r = runDaemon(['--config', config, '--state-dir', daemon.stateDir]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`another routerd-eventd is already serving ${daemon.socketPath}`);
  });

  it('does not start with an invalid config, and logs each problem', () => {
    const file = writeFile(
      tempDir(),
      'bad.yaml',
      groupConfig().replace('nodeName: onprem-1', 'nodeName: Onprem'),
    );
    const r = runDaemon(['--config', file, '--state-dir', join(tempDir(), 'state')]);
    expect(r.status).toBe(1);
    const line = JSON.parse(r.stderr.trim().split('\n').at(-1)!);
    expect(line.msg).toBe('invalid configuration: not starting');
    expect(line.problems[0]).toContain(
      `${file}:6: document 1 (EventGroup/lab): /spec/nodeName must be a lowercase name`,
    );
  });

  it('a reload that renames the node says what that means for the events stored under the old name', async () => {
    const { daemon, config } = await start(groupConfig({ nodeName: 'onprem-1' }));
    writeFileSync(config, groupConfig({ nodeName: 'onprem-2' }));
    daemon.signal('SIGHUP');
    await daemon.waitForLog((l) => l.msg === 'config reloaded');
    const renamed = daemon.logs.filter((l) => l.msg === 'a reload renamed this node');
    expect(renamed).toEqual([
      expect.objectContaining({
        level: 40, // warn
        group: 'lab',
        from: 'onprem-1',
        to: 'onprem-2',
        consequence: expect.stringContaining('events stored under onprem-1 keep that source'),
      }),
    ]);
    // Said before the line a reloader waits for; and a reload that keeps the name says nothing of it.
    expect(daemon.logs.indexOf(renamed[0]!)).toBeLessThan(
      daemon.logs.findLastIndex((l) => l.msg === 'config reloaded'),
    );
    daemon.signal('SIGHUP');
    await expect.poll(() => daemon.logs.filter((l) => l.msg === 'config reloaded').length).toBe(2);
    expect(daemon.logs.filter((l) => l.msg === 'a reload renamed this node')).toHaveLength(1);
  });

  it('SIGHUP applies a valid config, and refuses a broken one keeping the old config in force', async () => {
    const { daemon, config } = await start(groupConfig({ captured: ['10.0.0.1'] }));
    const sock = daemon.socketPath;
    const emit = async (address: string) =>
      (await controlRequest(sock, 'POST', '/v1/events', observed(`${address}/32`))).status;

    writeFileSync(config, groupConfig({ captured: ['10.0.0.2'] }));
    daemon.signal('SIGHUP');
    await daemon.waitForLog((l) => l.msg === 'config reloaded');
    expect(await emit('10.0.0.2')).toBe(422);
    expect(await emit('10.0.0.1')).toBe(201);

    // Broken: it would capture 10.0.0.3, but it also has an invalid field, so none of it applies.
    writeFileSync(config, `${groupConfig({ captured: ['10.0.0.3'] })}  replayWindow: soon\n`);
    daemon.signal('SIGHUP');
    const refusal = await daemon.waitForLog((l) => l.msg.startsWith('config reload refused'));
    expect(refusal.problems).toEqual([
      `${config}:9: document 1 (EventGroup/lab): /spec/replayWindow must be a duration such as 300ms, 30s, 5m or 1h30m (was "soon")`,
    ]);
    expect(await emit('10.0.0.2')).toBe(422);
    expect(await emit('10.0.0.3')).toBe(201);
    expect((await controlRequest(sock, 'GET', '/v1/status')).body.config.generation).toBe(2);
  });
});

/** The bin, spawned raw: these tests signal it before it is ready, which TestDaemon waits for. */
function spawnStarting(config: string, dir: string) {
  const child = spawn(process.execPath, [DAEMON_BIN, '--config', config, '--state-dir', join(dir, 'state')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  const exited = new Promise<NodeJS.Signals | number | null>((r) =>
    child.once('exit', (code, signal) => r(signal ?? code)),
  );
  return {
    child,
    exited,
    stderr: () => stderr,
    messages: () =>
      stderr
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).msg as string),
    /** Until the process catches `signal` (SigCgt in /proc: bit n-1 for signal n). */
    async catches(signal: number) {
      const caught = () => {
        const mask = readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/^SigCgt:\s*([0-9a-f]+)$/m)?.[1];
        return mask !== undefined && ((BigInt(`0x${mask}`) >> BigInt(signal - 1)) & 1n) === 1n;
      };
      while (!caught()) {
        if (child.exitCode !== null) throw new Error(`exited while starting: ${stderr}`);
        await new Promise((r) => setTimeout(r, 2));
      }
    },
  };
}

describe('a SIGHUP while the daemon starts', () => {
  it('is held from the first statement and applied as a reload once it has started, not its end', async () => {
    const dir = tempDir();
    const config = writeFile(dir, 'federation.yaml', groupConfig({ captured: ['10.0.0.1'] }));
    const daemon = spawnStarting(config, dir);
    try {
      await daemon.catches(1);
      // Caught before it says it is ready: the window where a reload used to end the process.
      expect(daemon.stderr()).not.toContain('routerd-eventd ready');
      writeFileSync(config, groupConfig({ captured: ['10.0.0.2'] }));
      daemon.child.kill('SIGHUP');
      const deadline = Date.now() + 30_000;
      while (!/"msg":"config reloaded"/.test(daemon.stderr())) {
        if (daemon.child.exitCode !== null || daemon.child.signalCode !== null)
          throw new Error(`ended by ${daemon.child.signalCode ?? daemon.child.exitCode}: ${daemon.stderr()}`);
        if (Date.now() > deadline) throw new Error(`no reload: ${daemon.stderr()}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      // Applied after the start: the new file is in force.
      const sock = join(dir, 'state', 'routerd.sock');
      expect((await controlRequest(sock, 'POST', '/v1/events', observed('10.0.0.2/32'))).status).toBe(422);
      expect((await controlRequest(sock, 'POST', '/v1/events', observed('10.0.0.1/32'))).status).toBe(201);
    } finally {
      daemon.child.kill('SIGTERM');
      await daemon.exited;
    }
  }, 60_000);
});

describe('a stop while the daemon starts, or asked for twice', () => {
  it('a SIGTERM before it is ready is held and done as a clean stop once it has started: exit 0, state closed', async () => {
    const dir = tempDir();
    const config = writeFile(dir, 'federation.yaml', groupConfig());
    const daemon = spawnStarting(config, dir);
    // SIGHUP: Node's own SIGTERM handler (which restores the terminal and dies) is there from the start.
    await daemon.catches(1);
    // Before "ready" and before main() installs its own handler: the window where SIGTERM used to kill it.
    expect(daemon.stderr()).not.toContain('routerd-eventd ready');
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
    const lines = daemon.messages();
    expect(lines).toContain('routerd-eventd ready');
    expect(lines.slice(lines.indexOf('routerd-eventd ready'))).toEqual(
      expect.arrayContaining(['signal received', 'stopping: no new work is accepted', 'stopped']),
    );
    // Closed cleanly: the WAL was checkpointed away and the socket removed.
    expect(readdirSync(join(dir, 'state')).filter((f) => f.endsWith('-wal') || f.endsWith('.sock'))).toEqual(
      [],
    );
  }, 60_000);

  it('a SIGINT right after a SIGTERM waits for the stop it began instead of exiting halfway through it', async () => {
    const dir = tempDir();
    const config = writeFile(dir, 'federation.yaml', groupConfig());
    const daemon = spawnStarting(config, dir);
    while (!daemon.stderr().includes('routerd-eventd ready')) {
      if (daemon.child.exitCode !== null) throw new Error(`exited while starting: ${daemon.stderr()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    // Back to back: both are pending at once, so the second is handled while the first stop has just begun.
    daemon.child.kill('SIGTERM');
    daemon.child.kill('SIGINT');
    expect(await daemon.exited).toBe(0);
    const lines = daemon.messages();
    expect(lines.filter((m) => m === 'signal received')).toHaveLength(2);
    expect(lines.at(-1)).toBe('stopped');
  }, 60_000);
});

describe('reloads run one at a time', () => {
  it('a SIGHUP during a reload waits for it: both apply, in order, and the receiver is bound once', async () => {
    const port = await freePort();
    const listening = (captured: string) =>
      `${groupConfig({ captured: [captured] })}  listen: { address: 127.0.0.1, port: ${port} }\n`;
    const { daemon, config } = await start(listening('10.0.0.1'));
    const seen = daemon.logs.length;
    const outcomes = () => daemon.logs.slice(seen).filter((l) => /^config reload(ed| refused)/.test(l.msg));
    // The file is written once, before the signals: a reload reading a half-written file is not the point.
    writeFileSync(config, listening('10.0.0.4'));
    // Signals of one kind coalesce while pending: the second is sent once the first is being handled, so
    // it arrives while that reload is still stopping and rebinding the receiver.
    const received = () =>
      daemon.logs.slice(seen).filter((l) => l.msg === 'signal received: reloading config');
    daemon.signal('SIGHUP');
    await daemon.waitForLog(() => received().length >= 1);
    daemon.signal('SIGHUP');
    await daemon.waitForLog(() => outcomes().length >= 2);
    const settled = outcomes();
    expect(settled.map((l) => l.msg)).toEqual(settled.map(() => 'config reloaded'));
    const status = (await controlRequest(daemon.socketPath, 'GET', '/v1/status')).body;
    expect(settled).toHaveLength(2);
    expect(status.config.generation).toBe(3);
    expect((await fetch(`http://127.0.0.1:${port}/v1/health`)).status).toBe(200);
  });
});

describe('a reload or a check never dies of a YAML alias error', () => {
  const broken = {
    'an alias to an undefined anchor': groupConfig().replace('nodeName: onprem-1', 'nodeName: *node'),
    'an anchor used more often than the alias limit': `${groupConfig()}  annotations: &a {k: v}\n  x: [${Array.from({ length: 150 }, () => '*a').join(', ')}]\n`,
    'an alias bomb': `${groupConfig()}  a: &a [x, x, x, x, x, x, x, x, x]\n  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n`,
  };

  it('check exits 1 with file:line and what to do, not a stack trace', () => {
    const dir = tempDir();
    for (const [what, yaml] of Object.entries(broken)) {
      const file = writeFile(dir, 'broken.yaml', yaml);
      const r = runDaemon(['check', '--config', file]);
      expect({ what, status: r.status }).toEqual({ what, status: 1 });
      expect(r.stderr).toMatch(
        new RegExp(`^routerd-eventd check: 1 problem:\n  ${file}:\\d+: document 1: / YAML alias`),
      );
      expect(r.stderr).not.toContain('    at ');
    }
  });

  it('SIGHUP with each broken file is refused: the daemon stays up with the old config in force', async () => {
    const { daemon, config } = await start(groupConfig({ captured: ['10.0.0.1'] }));
    const sock = daemon.socketPath;
    for (const [what, yaml] of Object.entries(broken)) {
      writeFileSync(config, yaml);
      const before = daemon.logs.length;
      daemon.signal('SIGHUP');
      const refusal = await daemon.waitForLog(
        (l) => daemon.logs.indexOf(l) >= before && l.msg.startsWith('config reload refused'),
      );
      expect({ what, problems: refusal.problems }).toEqual({
        what,
        problems: [expect.stringMatching(new RegExp(`^${config}:\\d+: document 1: / YAML alias`))],
      });
      // Still serving, still generation 1, and the old captured set still refuses 10.0.0.1.
      expect((await controlRequest(sock, 'GET', '/v1/status')).body.config.generation).toBe(1);
      expect((await controlRequest(sock, 'POST', '/v1/events', observed('10.0.0.1/32'))).status).toBe(422);
    }
    expect(daemon.child.exitCode).toBeNull();
  });
});

describe('key files', () => {
  const KEY = 'whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n';
  const withKey = (secretFile: string) =>
    `${groupConfig()}  auth:\n    mode: hmac\n    secretFile: ${secretFile}\n`;

  /** A FIFO, a directory and a device, each private to its owner except the device (which is not ours). */
  function notRegularFiles(dir: string) {
    const fifo = join(dir, 'fifo.key');
    expect(spawnSync('mkfifo', ['-m', '600', fifo]).status).toBe(0);
    const directory = join(dir, 'dir.key');
    mkdirSync(directory, { mode: 0o700 });
    return [
      { path: fifo, kind: 'a FIFO (named pipe)' },
      { path: directory, kind: 'a directory' },
      { path: '/dev/zero', kind: 'a character device' },
    ];
  }

  it('start refuses a key file that is a FIFO, a directory or a device at once, saying what it is', () => {
    const dir = tempDir();
    for (const { path, kind } of notRegularFiles(dir)) {
      const config = writeFile(dir, 'federation.yaml', withKey(path));
      const r = runDaemon(['--config', config, '--state-dir', join(dir, 'state')]);
      expect({ path, status: r.status }).toEqual({ path, status: 1 });
      const last = JSON.parse(r.stderr.trim().split('\n').at(-1)!);
      expect(last.msg).toBe(
        `cannot read secret file ${path}: it is ${kind}, not a regular file — point auth.secretFile at a 0600 file holding the key (routerctl keys generate --out ${path} makes one)`,
      );
    }
  });

  it('SIGHUP refuses such a key file and the daemon stays responsive', async () => {
    const dir = tempDir();
    const good = writeFile(dir, 'good.key', KEY);
    chmodSync(good, 0o600);
    const { daemon, config } = await start(withKey(good));
    for (const { path, kind } of notRegularFiles(dir)) {
      writeFileSync(config, withKey(path));
      const before = daemon.logs.length;
      daemon.signal('SIGHUP');
      const refusal = await daemon.waitForLog(
        (l) => daemon.logs.indexOf(l) >= before && l.msg.startsWith('config reload refused'),
      );
      expect(refusal.problems).toEqual([
        expect.stringContaining(`cannot read secret file ${path}: it is ${kind}, not a regular file`),
      ]);
      expect((await controlRequest(daemon.socketPath, 'GET', '/v1/status')).body.config.generation).toBe(1);
    }
  });

  it('check runs the same key-file checks as a start', () => {
    const dir = tempDir();
    const open = writeFile(dir, 'open.key', KEY);
    chmodSync(open, 0o644);
    const r = runDaemon(['check', '--config', writeFile(dir, 'a.yaml', withKey(open))]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `routerd-eventd check: 1 problem:\n  secret file ${open} is readable by group or others (mode 644); run: chmod 600 ${open}\n`,
    );
    const fifo = runDaemon([
      'check',
      '--config',
      writeFile(dir, 'b.yaml', withKey(notRegularFiles(dir)[0]!.path)),
    ]);
    expect(fifo.status).toBe(1);
    expect(fifo.stderr).toContain('it is a FIFO (named pipe), not a regular file');

    chmodSync(open, 0o600);
    expect(runDaemon(['check', '--config', join(dir, 'a.yaml')]).status).toBe(0);
  });
});

describe('a file far larger than such a file can be (a log or an image named by mistake)', () => {
  /** A sparse file: its size without its disk space. Read whole, it would be that much memory. */
  const sized = (path: string, bytes: number, mode = 0o600) => {
    writeFileSync(path, '', { mode });
    truncateSync(path, bytes);
    return path;
  };

  it('check refuses a config file over 4 MiB without reading it, saying how large it is', () => {
    const big = sized(join(tempDir(), 'huge.yaml'), 64 * 1024 * 1024);
    const r = runDaemon(['check', '--config', big]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `routerd-eventd check: 1 problem:\n  ${big}: / cannot read config file: it holds 64.0 MiB, more than the 4.0 MiB such a file may hold\n`,
    );
  });

  it('SIGHUP refuses an oversized config file or key file; the config in force stays and the daemon serves', async () => {
    const dir = tempDir();
    const good = writeFile(dir, 'good.key', 'whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n');
    chmodSync(good, 0o600);
    const withKey = (secretFile: string) =>
      `${groupConfig({ captured: ['10.0.0.1'] })}  auth:\n    mode: hmac\n    secretFile: ${secretFile}\n`;
    const { daemon, config } = await start(withKey(good));
    const refusedWith = async (problem: string) => {
      const before = daemon.logs.length;
      daemon.signal('SIGHUP');
      const refusal = await daemon.waitForLog(
        (l) => daemon.logs.indexOf(l) >= before && l.msg.startsWith('config reload refused'),
      );
      expect(refusal.problems).toEqual([expect.stringContaining(problem)]);
      expect((await controlRequest(daemon.socketPath, 'GET', '/v1/status')).body.config.generation).toBe(1);
      // Still the old config: its captured address is refused, another stored.
      expect(
        (await controlRequest(daemon.socketPath, 'POST', '/v1/events', observed('10.0.0.1/32'))).status,
      ).toBe(422);
    };
    const bigKey = sized(join(dir, 'big.key'), 2 * 1024 * 1024);
    writeFileSync(config, withKey(bigKey));
    await refusedWith(
      `cannot read secret file ${bigKey}: it holds 2.0 MiB, more than the 1.0 MiB such a file may hold`,
    );
    sized(config, 512 * 1024 * 1024, 0o644);
    await refusedWith(
      `cannot read config file: it holds 512.0 MiB, more than the 4.0 MiB such a file may hold`,
    );
    expect(
      (await controlRequest(daemon.socketPath, 'POST', '/v1/events', observed('10.0.0.2/32'))).status,
    ).toBe(201);
  });
});

function readAndReplace(file: string, from: string, to: string): string {
  return readFileSync(file, 'utf8').replace(from, to);
}
