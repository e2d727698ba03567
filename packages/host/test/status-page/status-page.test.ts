// The status page: its config field (loopback or a unix socket only), and a real daemon serving it —
// HTML over loopback HTTP and a unix socket, Server-Sent Events that carry a new observation, and no
// way to write. The browser test is tests/e2e/status-page.test.ts.
import { createServer as createHttpServer, request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/index.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { LiveUpdates, MAX_LIVE_PAGES, nextReadDelayMs } from '../../src/status-page/live-updates.js';
import { readSnapshot } from '../../src/status-page/snapshot.js';
import { controlRequest, freePort, tempDir, writeFile } from '../../src/testing/index.js';
import { HOST_FIXTURE, pluginYaml } from '../plugins/harness.js';

const group = (name: string, extra: string) => `apiVersion: federation.routerd.net/v1alpha1
kind: EventGroup
metadata: { name: ${name} }
spec:
  nodeName: onprem-1
${extra}`;

function refusal(yaml: string) {
  const dir = tempDir('status-config-');
  const load = loadConfig([writeFile(dir, 'c.yaml', yaml)]);
  if (load.ok) throw new Error('expected the config to be refused');
  return load.issues.map((i) => ({ path: i.path, message: i.message, resource: i.resource }));
}

describe('EventGroup.spec.statusPage', () => {
  it('is off by default', () => {
    const load = loadConfig([writeFile(tempDir(), 'c.yaml', group('lab', ''))]);
    expect(load.ok && load.config.groups[0]!.resource.spec.statusPage).toBeUndefined();
  });

  it('takes a loopback address (port 9480 by default) or a unix socket', () => {
    const load = loadConfig([
      writeFile(tempDir(), 'c.yaml', group('lab', '  statusPage: { address: 127.0.0.1 }\n')),
    ]);
    expect(load.ok && load.config.groups[0]!.resource.spec.statusPage).toEqual({
      address: '127.0.0.1',
      port: 9480,
    });
    const sock = loadConfig([
      writeFile(tempDir(), 'c.yaml', group('lab', '  statusPage: { socket: /run/routerd/status.sock }\n')),
    ]);
    expect(sock.ok && sock.config.groups[0]!.resource.spec.statusPage?.socket).toBe(
      '/run/routerd/status.sock',
    );
  });

  it('refuses an address beyond loopback, naming the field', () => {
    const [issue, ...rest] = refusal(
      group('lab', '  listen: { address: 10.77.0.1 }\n  statusPage: { address: 10.77.0.1 }\n'),
    );
    expect(rest).toEqual([]);
    expect(issue!.path).toBe('/spec/statusPage/address');
    expect(issue!.message).toMatch(/loopback/);
    expect(refusal(group('lab', '  statusPage: { address: 0.0.0.0 }\n'))[0]!.path).toBe(
      '/spec/statusPage/address',
    );
  });

  it("refuses the receiver's own address and port, neither or both of address and socket, and a second page", () => {
    expect(
      refusal(
        group(
          'lab',
          '  listen: { address: 127.0.0.1, port: 9443 }\n  statusPage: { address: 127.0.0.1, port: 9443 }\n',
        ),
      )[0]!.path,
    ).toBe('/spec/statusPage/port');
    expect(refusal(group('lab', '  statusPage: { port: 9480 }\n'))[0]!.path).toBe('/spec/statusPage');
    expect(
      refusal(group('lab', '  statusPage: { address: 127.0.0.1, socket: /run/s.sock }\n'))[0]!.path,
    ).toBe('/spec/statusPage');
    const two = refusal(
      `${group('a', '  statusPage: { address: 127.0.0.1 }\n')}---\n${group('b', '  statusPage: { socket: /run/s.sock }\n')}`,
    );
    expect(two).toEqual([expect.objectContaining({ path: '/spec/statusPage', resource: 'EventGroup/b' })]);
  });
});

/** A free loopback port (the config's port is 1-65535: 0 is not a choice). */
interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function http(
  target: { port: number } | { socketPath: string },
  path: string,
  opts: { method?: string; host?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        ...('port' in target ? { host: '127.0.0.1', port: target.port } : { socketPath: target.socketPath }),
        path,
        agent: false, // no kept-alive socket: the last test sees the server gone, not a pooled socket
        method: opts.method ?? 'GET',
        headers: opts.host ? { host: opts.host } : {},
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', reject).end();
  });
}

/** Open /events and collect the snapshot messages as they come. */
function subscribe(port: number) {
  const snapshots: { main: string; summary: string }[] = [];
  let buffer = '';
  const req = request({ host: '127.0.0.1', port, path: '/events' }, (res) => {
    res.setEncoding('utf8').on('data', (c: string) => {
      buffer += c;
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (message.startsWith('event: snapshot\n'))
          snapshots.push(JSON.parse(message.slice(message.indexOf('data: ') + 6)));
        end = buffer.indexOf('\n\n');
      }
    });
  });
  req.on('error', () => {});
  req.end();
  return { snapshots, close: () => req.destroy() };
}

describe('a daemon serving its status page', () => {
  let daemon: Daemon;
  let port: number;
  let socket: string;
  beforeAll(async () => {
    const dir = tempDir('status-page-');
    port = await freePort();
    const stateDir = join(dir, 'state');
    const peer = `apiVersion: federation.routerd.net/v1alpha1
kind: EventPeer
metadata: { name: cloud }
spec: { groupRef: lab, nodeName: cloud-1, endpoint: "http://127.0.0.1:9/" }
`;
    daemon = await Daemon.start({
      configFiles: [
        writeFile(
          dir,
          'c.yaml',
          `${group('lab', `  statusPage: { address: 127.0.0.1, port: ${port} }\n`)}---\n${peer}`,
        ),
      ],
      stateDir,
      logger: pino({ level: 'silent' }),
      clock: systemClock,
    });
    socket = join(stateDir, 'routerd.sock');
  });
  afterAll(() => daemon?.stop());

  it('serves the snapshot as accessible HTML: landmarks, captions, scoped headers, states in words', async () => {
    const page = await http({ port }, '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(page.body).toMatch(/<html lang="en">/);
    for (const landmark of ['<header>', '<main id="content">', '<footer>'])
      expect(page.body).toContain(landmark);
    expect(page.body).toMatch(/<th scope="col">Peer<\/th>/);
    expect(page.body).toMatch(/<tr class="peer-(up|down)" data-peer="cloud"/);
    expect(page.body).toMatch(/<th scope="row">cloud<\/th>/);
    expect(page.body).toContain('Node onprem-1 in group lab');
    // No form, no button: nothing on the page can ask the daemon for anything but a read.
    expect(page.body).not.toMatch(/<form|<button|method="post"/i);
  });

  it('refuses every method but GET and HEAD, and any Host but its own (DNS rebinding)', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const answer = await http({ port }, '/', { method });
      expect(answer.status).toBe(405);
      expect(answer.headers.allow).toBe('GET, HEAD');
    }
    expect((await http({ port }, '/', { host: 'attacker.example:80' })).status).toBe(421);
    expect((await http({ port }, '/', { host: `localhost:${port}` })).status).toBe(200);
  });

  it('escapes what it shows: an event subject with markup stays text', async () => {
    const emitted = await controlRequest(socket, 'POST', '/v1/events', {
      type: 'routerd.test.markup',
      subject: '<script>alert(1)</script>',
      ttl: '300s',
      payload: {},
    });
    expect(emitted.status).toBe(201);
    const page = await http({ port }, '/');
    expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.body).not.toContain('<script>alert(1)');
  });

  it('sends a new observation to an open page over Server-Sent Events', async () => {
    const stream = subscribe(port);
    try {
      await expect.poll(() => stream.snapshots.length, { timeout: 5000 }).toBeGreaterThanOrEqual(1);
      expect(stream.snapshots.at(-1)!.main).not.toContain('10.88.60.77');
      const emitted = await controlRequest(socket, 'POST', '/v1/events', {
        type: 'routerd.client.ipv4.observed',
        ttl: '300s',
        payload: { address: '10.88.60.77/32', domain: 'lan', ownerSide: 'onprem', source: 'arp' },
      });
      expect(emitted.status).toBe(201);
      await expect
        .poll(() => stream.snapshots.at(-1)?.main ?? '', { timeout: 5000 })
        .toMatch(
          /<tr data-event="[^"]+"><td>[^<]+<\/td><th scope="row">routerd\.client\.ipv4\.observed<\/th><td><a href="trace\?address=10\.88\.60\.77%2F32"[^>]*>10\.88\.60\.77\/32<\/a><\/td>/,
        );
    } finally {
      stream.close();
    }
  });

  it("links each address to its client's timeline, read from GET /v1/trace (what routerctl trace prints)", async () => {
    const page = await http({ port }, '/');
    expect(page.body).toContain('href="trace?address=10.88.60.77%2F32"');
    const timeline = await http({ port }, '/trace?address=10.88.60.77%2F32');
    expect(timeline.status).toBe(200);
    expect(timeline.body).toContain('Timeline of 10.88.60.77/32');
    expect(timeline.body).toMatch(/<tr class="" data-step="observed"><th scope="row">observed<\/th>/);
    expect(timeline.body).toMatch(/<th scope="col">Since the step before<\/th>/);
    // A snapshot of its own: no live script replacing it with the status.
    expect(timeline.body).not.toContain('page.js');
  });

  it('refuses a timeline query that is not an address or event id, naming the field; 404 for an unknown client', async () => {
    const bad = await http({ port }, '/trace?address=not-an-address');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatch(/^invalid query: \/?address /);
    expect((await http({ port }, '/trace')).status).toBe(400);
    const unknown = await http({ port }, '/trace?address=10.99.99.99');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toContain('no observation of 10.99.99.99');
  });

  it(`serves at most ${MAX_LIVE_PAGES} live pages at once: one more is answered 503 until one closes`, async () => {
    const streams = Array.from({ length: MAX_LIVE_PAGES }, () => subscribe(port));
    try {
      await expect
        .poll(() => streams.filter((x) => x.snapshots.length > 0).length, { timeout: 10_000 })
        .toBe(MAX_LIVE_PAGES);
      const refused = await http({ port }, '/events');
      expect([refused.status, refused.headers['retry-after'], refused.body]).toEqual([
        503,
        '10',
        `${MAX_LIVE_PAGES} live pages are open already: close one, then reload this page\n`,
      ]);
      // A plain read of the page is not a live page: still served.
      expect((await http({ port }, '/')).status).toBe(200);
      streams.pop()!.close();
      const another = subscribe(port);
      streams.push(another);
      await expect.poll(() => another.snapshots.length, { timeout: 5000 }).toBeGreaterThan(0);
    } finally {
      for (const x of streams) x.close();
    }
  });

  it('stops with the daemon: the port is closed', async () => {
    await daemon.stop();
    await expect(http({ port }, '/')).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('executions on the page, once the action journal has rows', () => {
  it('lists a plan waiting for approval, in words, with no button to approve it', async () => {
    const dir = tempDir('status-exec-');
    const port = await freePort();
    const step = {
      id: 'assign-private-ip-addresses',
      tool: 'aws',
      argv: [
        'ec2',
        'assign-private-ip-addresses',
        '--network-interface-id',
        'eni-1',
        '--private-ip-addresses',
        '10.88.60.9',
      ],
      mutating: true,
      outcomes: { alreadyDone: [], heldElsewhere: [], retry: [] },
    };
    const status = {
      observedAt: new Date().toISOString(),
      resources: [
        {
          apiVersion: 'net.routerd.net/v1alpha1',
          kind: 'RemoteAddressClaim',
          metadata: { name: 'onprem-10-88-60-9' },
          spec: { address: '10.88.60.9/32', domain: 'lan', ownerNode: 'onprem-1' },
        },
      ],
      actionPlans: [
        {
          name: 'aws-assign-10-88-60-9',
          provider: 'aws',
          action: 'assign-secondary-ip',
          mode: 'dry-run',
          idempotencyKey: 'aws|assign|eni-1|10.88.60.9',
          riskLevel: 'low',
          target: { nicRef: 'eni-1', address: '10.88.60.9/32' },
          auth: { mode: 'instance-identity' },
          basedOn: [],
          preconditions: [],
          expectedEffects: [],
          steps: [step],
        },
      ],
    };
    const config = [
      group('lab', `  statusPage: { address: 127.0.0.1, port: ${port} }\n`),
      pluginYaml({
        name: 'claimer',
        script: HOST_FIXTURE('result-plugin.mjs'),
        capabilities: ['propose.dynamicConfig', 'propose.providerAction'],
        config: { status },
      }),
      `apiVersion: federation.routerd.net/v1alpha1
kind: EventSubscription
metadata: { name: clients }
spec: { groupRef: lab, match: { types: [routerd.client.*] }, trigger: { pluginRef: claimer } }
`,
      // No rule: every aws plan waits for a person (manual); nothing runs.
      `apiVersion: config.routerd.net/v1alpha1
kind: ActionPolicy
metadata: { name: aws }
spec: { tools: { aws: /usr/bin/aws } }
`,
    ].join('---\n');
    const stateDir = join(dir, 'state');
    const daemon = await Daemon.start({
      configFiles: [writeFile(dir, 'c.yaml', config)],
      stateDir,
      logger: pino({ level: 'silent' }),
      clock: systemClock,
    });
    try {
      expect((await http({ port }, '/')).body).not.toContain('id="executions"');
      const emitted = await controlRequest(join(stateDir, 'routerd.sock'), 'POST', '/v1/events', {
        type: 'routerd.client.ipv4.observed',
        ttl: '300s',
        payload: { address: '10.88.60.9/32', domain: 'lan', ownerSide: 'onprem', source: 'arp' },
      });
      expect(emitted.status).toBe(201);
      await expect
        .poll(async () => (await http({ port }, '/')).body, { timeout: 15_000 })
        .toMatch(/<tr class="" data-execution="[^"]+" data-state="awaiting-approval">/);
      const page = (await http({ port }, '/')).body;
      expect(page).toContain('<h2 id="executions-h">Action executions (latest)</h2>');
      expect(page).toMatch(
        /<th scope="row">aws-assign-10-88-60-9<\/th><td>assign-secondary-ip<\/td><td>10\.88\.60\.9\/32<\/td><td>manual<\/td>/,
      );
      expect(page).toContain('… awaiting approval (routerctl action approve)');
      expect(page).not.toMatch(/<form|<button/i);
    } finally {
      await daemon.stop();
    }
  });
});

describe('a live page that stops reading', () => {
  it('is dropped once it is MAX_UNREAD_BYTES behind, and nothing more piles up for it; a reading page goes on', async () => {
    // A real snapshot of a daemon, grown to the size a cloud holding thousands of claims writes, and
    // different at every read, as it is while the router is busy.
    const dir = tempDir('status-stall-');
    const daemon = await Daemon.start({
      configFiles: [writeFile(dir, 'c.yaml', group('lab', ''))],
      stateDir: join(dir, 'state'),
      logger: pino({ level: 'silent' }),
      clock: systemClock,
    });
    const sock = join(dir, 'state', 'routerd.sock');
    const base = await readSnapshot(async (path) => (await controlRequest(sock, 'GET', path)).body, Date.now);
    await daemon.stop();
    let reads = 0;
    const bigSnapshot = () => ({
      ...base,
      at: new Date(Date.UTC(2026, 11, 2, 0, 0, reads++)).toISOString(),
      events: Array.from({ length: 400 }, (_, i) => ({
        id: `e-${reads}-${i}`,
        group: 'lab',
        sourceNode: 'onprem-1',
        type: 'routerd.client.ipv4.observed',
        subject: `10.88.${i >> 8}.${i & 255}/32 ${'x'.repeat(200)}`,
        payload: {},
        observedAt: '2026-12-02T00:00:00Z',
      })),
    });
    const clock = new ManualClock(Date.UTC(2026, 11, 2));
    const logs: { msg: string; fields?: Record<string, unknown> }[] = [];
    const live = new LiveUpdates({
      read: async () => bigSnapshot() as never,
      clock,
      refreshMs: 1000,
      log: (_level, msg, fields) => logs.push({ msg, fields }),
      maxUnreadBytes: 256 * 1024,
    });
    const server = createHttpServer((_req, res) => live.add(res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    try {
      // One page reads everything; the other asks, reads the headers, and then never reads again.
      const reader = subscribe(port);
      const stalled = connect(port, '127.0.0.1');
      stalled.write('GET /events HTTP/1.1\r\nHost: x\r\n\r\n');
      await new Promise((r) => stalled.once('data', r));
      stalled.pause();
      const closed = new Promise((r) => stalled.once('close', r));
      let dropped = false;
      void closed.then(() => (dropped = true));
      // Each refresh writes ~100 KB to every page; the kernel's buffers fill first, then the daemon's.
      for (let i = 0; i < 400 && logs.length === 0; i++) {
        clock.advance(1000);
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(logs).toEqual([
        {
          msg: 'status page: dropped a live page that stopped reading',
          fields: { unreadBytes: expect.any(Number) },
        },
      ]);
      expect(logs[0]!.fields!.unreadBytes).toBeGreaterThan(256 * 1024);
      stalled.resume(); // reads what reached it, then the end
      await closed;
      expect(dropped).toBe(true);
      // The page that reads was never dropped, and is still served.
      const before = reader.snapshots.length;
      clock.advance(1000);
      await expect.poll(() => reader.snapshots.length, { timeout: 5000 }).toBeGreaterThan(before);
      reader.close();
    } finally {
      live.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('live updates read at most a tenth of the time', () => {
  it('waits the refresh interval after a quick read, ten times the read after a slow one', () => {
    expect(nextReadDelayMs(1000, 20)).toBe(1000);
    expect(nextReadDelayMs(1000, 100)).toBe(1000);
    // A store whose outbox summary takes 350 ms to read is read every 3.5 s, not every second.
    expect(nextReadDelayMs(1000, 350)).toBe(3500);
  });
});

describe('a status page on a unix socket', () => {
  it('serves the same page there, and nothing on TCP', async () => {
    const dir = tempDir('status-sock-');
    const pageSocket = join(dir, 'status.sock');
    const daemon = await Daemon.start({
      configFiles: [writeFile(dir, 'c.yaml', group('lab', `  statusPage: { socket: ${pageSocket} }\n`))],
      stateDir: join(dir, 'state'),
      logger: pino({ level: 'silent' }),
      clock: systemClock,
    });
    try {
      const page = await http({ socketPath: pageSocket }, '/');
      expect(page.status).toBe(200);
      expect(page.body).toContain('No EventPeer is configured.');
      expect((await http({ socketPath: pageSocket }, '/', { method: 'POST' })).status).toBe(405);
    } finally {
      await daemon.stop();
    }
  });
});
