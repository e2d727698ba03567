// The real routerctl (dist/routerctl.js) against the real routerd-eventd (from @routerd/host's dist), each
// its own process, on a temporary state directory.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { groupConfig, TestDaemon, tempDir, writeFile } from '@routerd/host/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const ROUTERCTL = fileURLToPath(new URL('../dist/routerctl.js', import.meta.url));

function routerctl(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [ROUTERCTL, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ROUTERD_SOCKET: '', ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let daemon: TestDaemon;
const ctl = (...args: string[]) => routerctl(['--state-dir', daemon.stateDir, ...args]);
const listJson = (...args: string[]) => {
  const r = ctl(
    'federation',
    'event',
    'list',
    '--include-expired',
    '--limit',
    '10000',
    '-o',
    'json',
    ...args,
  );
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Array<{ id: string; [k: string]: unknown }>;
};
const CLIENT_PAYLOAD = [
  '--payload',
  'domain=lan',
  '--payload',
  'ownerSide=onprem',
  '--payload',
  'source=manual',
];
const emitObserved = (address: string, ...extra: string[]) =>
  ctl(
    'federation',
    'event',
    'emit',
    '--type',
    'routerd.client.ipv4.observed',
    '--payload',
    `address=${address}`,
    ...CLIENT_PAYLOAD,
    ...extra,
  );

beforeAll(async () => {
  const dir = tempDir();
  const config = writeFile(
    dir,
    'federation.yaml',
    groupConfig({ nodeName: 'onprem-1', captured: ['10.88.60.0/24'] }),
  );
  daemon = await TestDaemon.start({ configFiles: [config], stateDir: join(dir, 'state') });
});
afterAll(async () => {
  await daemon?.stop();
});

describe('routerctl federation event', () => {
  it('emit stores an event with its TTL; group and sourceNode come from the daemon', () => {
    const r = emitObserved(
      '10.88.61.9/32',
      '--subject',
      '10.88.61.9/32',
      '--ttl',
      '300s',
      '--id',
      'ttl-1',
      '--dedupe-key',
      'lan/10.88.61.9',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^stored ttl-1, expires \S+Z\n$/);
    const got = ctl('federation', 'event', 'get', 'ttl-1', '-o', 'json');
    const event = JSON.parse(got.stdout);
    expect(event).toMatchObject({
      id: 'ttl-1',
      group: 'lab',
      sourceNode: 'onprem-1',
      subject: '10.88.61.9/32',
      dedupeKey: 'lan/10.88.61.9',
      payload: { address: '10.88.61.9/32', domain: 'lan', ownerSide: 'onprem', source: 'manual' },
    });
    expect(Date.parse(event.expiresAt) - Date.parse(event.observedAt)).toBe(300_000);
  });

  it('emit without --id generates a time-ordered id', () => {
    const a = ctl(
      'federation',
      'event',
      'emit',
      '--type',
      'acme.port.changed',
      '--payload-json',
      '{"port": 3, "up": true}',
      '-o',
      'json',
    );
    const b = ctl('federation', 'event', 'emit', '--type', 'acme.port.changed', '--payload', 'port=4');
    expect(a.code, a.stderr).toBe(0);
    const first = JSON.parse(a.stdout);
    expect(first.result.status).toBe('stored');
    expect(first.event.payload).toEqual({ port: 3, up: true });
    const second = b.stdout.match(/^stored (\S+)\n$/)![1]!;
    expect(first.result.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(second > first.result.id).toBe(true);
  });

  it('emitting the same event again is a no-op reported as duplicate; its id for another fact is refused', () => {
    const emit = (n: string) =>
      ctl('federation', 'event', 'emit', '--type', 'acme.thing.seen', '--id', 'dup-1', '--payload', `n=${n}`);
    expect(emit('1').code).toBe(0);
    const again = emit('1');
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('duplicate (already stored, nothing changed): dup-1\n');
    const other = emit('2');
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain('id conflict: /id already belongs to another event');
    expect(listJson().filter((e) => e.id === 'dup-1')).toEqual([
      expect.objectContaining({ payload: { n: '1' } }),
    ]);
  });

  it('the same id with a later expiry refreshes the TTL and nothing else', () => {
    expect(emitObserved('10.88.61.20/32', '--id', 'refresh-1', '--ttl', '60s').code).toBe(0);
    const before = JSON.parse(ctl('federation', 'event', 'get', 'refresh-1', '-o', 'json').stdout);
    const r = emitObserved('10.88.61.20/32', '--id', 'refresh-1', '--ttl', '600s');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^refreshed refresh-1, expires /);
    const after = JSON.parse(ctl('federation', 'event', 'get', 'refresh-1', '-o', 'json').stdout);
    expect(Date.parse(after.expiresAt)).toBeGreaterThan(Date.parse(before.expiresAt) + 500_000);
    expect({ ...after, expiresAt: undefined }).toEqual({ ...before, expiresAt: undefined });
  });

  it('expired events are hidden from list and get, shown only on request, and not revived', async () => {
    // Long enough to be listed once even when each routerctl process takes a second to start on a loaded box.
    expect(emitObserved('10.88.61.30/32', '--id', 'short-1', '--ttl', '4s').code).toBe(0);
    const visible = () =>
      JSON.parse(ctl('federation', 'event', 'list', '-o', 'json').stdout).map((e: { id: string }) => e.id);
    expect(visible()).toContain('short-1');
    await expect.poll(visible, { timeout: 20_000, interval: 200 }).not.toContain('short-1');

    expect(listJson().map((e) => e.id)).toContain('short-1');
    const table = ctl(
      'federation',
      'event',
      'list',
      '--include-expired',
      '--type',
      'routerd.client.ipv4.observed',
    );
    expect(table.stdout).toMatch(/short-1 .*\(expired\)/);
    const get = ctl('federation', 'event', 'get', 'short-1');
    expect(get.code).toBe(1);
    expect(get.stderr).toMatch(/^error: event short-1 expired at \S+: expired events are hidden/);
    expect(ctl('federation', 'event', 'get', 'short-1', '--include-expired').stdout).toContain('(expired)');
    expect(emitObserved('10.88.61.30/32', '--id', 'short-1', '--ttl', '300s').stdout).toMatch(/^duplicate/);
    expect(visible()).not.toContain('short-1');
  });

  it('refuses an invalid type, payload or TTL with a message naming the field, and stores nothing', () => {
    const before = listJson();
    const badType = ctl('federation', 'event', 'emit', '--type', 'Not A Type');
    expect(badType.code).toBe(1);
    expect(badType.stderr).toBe(
      'error: invalid event: /type must be a dotted lowercase event type such as routerd.client.ipv4.observed (was "Not A Type")\n  (check --type)\n',
    );
    const badPayload = ctl(
      'federation',
      'event',
      'emit',
      '--type',
      'routerd.client.ipv4.observed',
      '--payload',
      'address=10.88.61.9',
      ...CLIENT_PAYLOAD,
    );
    expect(badPayload.code).toBe(1);
    expect(badPayload.stderr).toContain('/payload/address must be a single IPv4 address as a /32');
    expect(badPayload.stderr).toContain('(check --payload / --payload-json)');
    const badTtl = emitObserved('10.88.61.9/32', '--ttl', '5 minutes');
    expect(badTtl.code).toBe(1);
    expect(badTtl.stderr).toContain(
      '/ttl must be a duration such as 300ms, 30s, 5m or 1h30m (was "5 minutes")',
    );
    const zeroTtl = emitObserved('10.88.61.9/32', '--ttl', '0s');
    expect(zeroTtl.stderr).toContain('/ttl must be longer than 0');
    expect(listJson()).toEqual(before);
  });

  it('refuses to store an observation of an address this node captures, naming the address', () => {
    const before = listJson();
    const r = emitObserved('10.88.60.9/32', '--ttl', '300s');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'error: refused: 10.88.60.9/32 is captured by this node (EventGroup/lab spec.captured 10.88.60.0/24)',
    );
    expect(r.stderr).toContain('feedback loop');
    expect(listJson()).toEqual(before);
  });

  it('filters the list by type and source node, and prints JSON and YAML with envelope names', () => {
    const byType = listJson('--type', 'acme.thing.seen');
    expect(byType.map((e) => e.id)).toEqual(['dup-1']);
    expect(listJson('--source-node', 'someone-else')).toEqual([]);
    const yaml = ctl('federation', 'event', 'list', '--type', 'acme.thing.seen', '-o', 'yaml');
    expect(parseYaml(yaml.stdout)).toEqual(byType);
    expect(Object.keys(byType[0]!)).toEqual(
      expect.arrayContaining(['id', 'group', 'sourceNode', 'type', 'payload', 'observedAt']),
    );
    const table = ctl('federation', 'event', 'list', '--type', 'acme.thing.seen').stdout.split('\n');
    expect(table[0]).toMatch(/^ID +TYPE +SUBJECT +SOURCE +OBSERVED +EXPIRES$/);
    expect(table[1]).toMatch(/^dup-1 +acme\.thing\.seen +- +onprem-1 /);
  });

  it('keeps everything across a daemon restart', async () => {
    const before = listJson();
    expect(before.length).toBeGreaterThan(3);
    daemon = await daemon.restart();
    expect(listJson()).toEqual(before);
  });

  it('exits 2 on usage errors without contacting the daemon', () => {
    for (const args of [
      ['federation', 'evnt', 'list'],
      ['federation', 'event', 'list', '--limit', 'many'],
      ['federation', 'event', 'list', '-o', 'xml'],
      ['federation', 'event', 'emit'],
    ]) {
      const r = routerctl(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
    }
    const pair = routerctl([
      'federation',
      'event',
      'emit',
      '--type',
      'a.b',
      '--payload',
      'novalue',
      '--socket',
      '/nonexistent.sock',
    ]);
    expect(pair.code).toBe(2);
    expect(pair.stderr).toContain('--payload novalue: expected key=value');
  });
});

describe('routerctl without a daemon', () => {
  it('says which socket it tried, what chose it, and how to start the daemon', () => {
    const dir = tempDir();
    const r = routerctl(['federation', 'event', 'list', '--state-dir', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: cannot reach routerd-eventd at ${dir}/routerd.sock (chosen by --state-dir): no socket there.\n` +
        `Start the daemon with:  routerd-eventd --config FILE --state-dir ${dir}\n` +
        'or point routerctl at a running one with --socket PATH, --state-dir DIR or ROUTERD_SOCKET.\n',
    );
    const env = routerctl(['federation', 'event', 'get', 'x'], { ROUTERD_SOCKET: join(dir, 'other.sock') });
    expect(env.code).toBe(1);
    expect(env.stderr).toContain(
      `cannot reach routerd-eventd at ${dir}/other.sock (chosen by ROUTERD_SOCKET)`,
    );
  });
});
