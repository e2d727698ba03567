// routerctl doctor federation against real daemons on loopback: a healthy pair passes every check, and
// each fault a router operator meets shows up as the right code and status, with advice.
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TestDaemon } from '@routerd/host/testing';
import type { DoctorResponse } from '@routerd/host-wire';
import { afterEach, describe, expect, it } from 'vitest';
import {
  freePort,
  keyFile,
  type NodeSpec,
  newRoot,
  observed,
  routerctl,
  routerctlJson,
  writeNode,
} from './support/federation.js';

const CLAIMS = fileURLToPath(new URL('./fixtures/claims-plugin.mjs', import.meta.url));
const CRASHER = fileURLToPath(
  new URL('../../../packages/plugin-sdk/test/fixtures/crash-mid-call.mjs', import.meta.url),
);

const running: TestDaemon[] = [];
afterEach(async () => {
  for (const d of running.splice(0)) await d.stop();
});

async function startWith(config: string, stateDir: string): Promise<TestDaemon> {
  const d = await TestDaemon.start({ configFiles: [config], stateDir });
  running.push(d);
  return d;
}

async function start(root: string, spec: NodeSpec): Promise<TestDaemon> {
  const { config, stateDir } = writeNode(root, spec);
  return startWith(config, stateDir);
}

function doctor(stateDir: string) {
  const r = routerctl(stateDir, 'doctor', 'federation', '-o', 'json');
  return { code: r.code, report: JSON.parse(r.stdout) as DoctorResponse, stderr: r.stderr };
}

const find = (report: DoctorResponse, code: string, subject?: string) => {
  const c = report.checks.find((x) => x.code === code && (subject === undefined || x.subject === subject));
  if (!c) throw new Error(`no ${code} check for ${subject}: ${JSON.stringify(report.checks)}`);
  return c;
};

function emit(stateDir: string, i: number) {
  const ev = observed(i);
  const r = routerctl(
    stateDir,
    'federation',
    'event',
    'emit',
    '--type',
    ev.type,
    '--ttl',
    ev.ttl,
    ...Object.entries(ev.payload).flatMap(([k, v]) => ['--payload', `${k}=${v}`]),
  );
  expect(r.code, r.stderr).toBe(0);
}

describe('routerctl doctor federation', () => {
  it('a healthy pair: every check passes on both sides, and the table says so', async () => {
    const root = newRoot();
    const key = keyFile(root);
    const [po, pc] = [await freePort(), await freePort()];
    const onprem = await start(root, { name: 'onprem', port: po, key, peers: [{ name: 'cloud', port: pc }] });
    const cloud = await start(root, { name: 'cloud', port: pc, key, peers: [{ name: 'onprem', port: po }] });
    emit(onprem.stateDir, 1);
    await expect
      .poll(() =>
        routerctlJson<{ delivered: number }[]>(onprem.stateDir, 'federation', 'deliveries', 'summary'),
      )
      .toEqual([expect.objectContaining({ delivered: 1, pending: 0 })]);

    for (const side of [onprem, cloud]) {
      const { code, report } = doctor(side.stateDir);
      expect(report.checks.filter((c) => c.status !== 'PASS')).toEqual([]);
      expect(report.status).toBe('PASS');
      expect(code).toBe(0);
    }
    // The cloud received a signed request from onprem, so it measured onprem's clock: same host, no skew.
    const skew = find(doctor(cloud.stateDir).report, 'clock-skew', 'edge/onprem');
    expect(skew.summary).toMatch(/^onprem's clock is [01]s /);
    expect(find(doctor(onprem.stateDir).report, 'peer-reachable', 'cloud').summary).toMatch(
      /answers its health check, healthy, last success/,
    );

    const table = routerctl(onprem.stateDir, 'doctor', 'federation');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^CODE +STATUS +SUBJECT +SUMMARY +ADVICE\n/);
    expect(table.stdout).toMatch(/\nPASS: 0 FAIL, 0 WARN, \d+ PASS\n$/);
  });

  it('a peer that is down with events waiting: peer-reachable and the backlog FAIL, with advice; exit 1', async () => {
    const root = newRoot();
    const key = keyFile(root);
    const { config, stateDir } = writeNode(root, {
      name: 'onprem',
      port: await freePort(),
      key,
      peers: [{ name: 'cloud', port: await freePort() }], // nobody listens there
    });
    // Per-group thresholds: two pending deliveries are already too many for this group.
    writeFileSync(config, withDoctor(config, '{ maxPending: 1 }'));
    const onprem = await startWith(config, stateDir);
    emit(onprem.stateDir, 1);
    emit(onprem.stateDir, 2);

    const { code, report } = doctor(onprem.stateDir);
    expect(code).toBe(1);
    expect(report.status).toBe('FAIL');
    const reach = find(report, 'peer-reachable', 'cloud');
    expect(reach.status).toBe('FAIL');
    expect(reach.summary).toMatch(/does not answer its health check \(ECONNREFUSED\); 2 events waiting/);
    expect(reach.advice).toMatch(/wg show/);
    // The authenticated probe cannot get through either: its row says so, and points at peer-reachable.
    expect(find(report, 'peer-probe', 'cloud')).toMatchObject({
      status: 'FAIL',
      summary: 'unreachable: ECONNREFUSED',
      advice: expect.stringMatching(/^see peer-reachable/),
    });
    const backlog = find(report, 'delivery-backlog', 'cloud');
    expect(backlog).toMatchObject({ status: 'FAIL', summary: '2 deliveries pending (maxPending 1)' });
    expect(backlog.advice).toBeTruthy();
    // Everything unrelated to the dead peer still passes.
    expect(find(report, 'listen-address', 'edge').status).toBe('PASS');
    expect(find(report, 'secret-file-mode', key).status).toBe('PASS');

    const table = routerctl(onprem.stateDir, 'doctor', 'federation');
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(/\nFAIL: 3 FAIL, 0 WARN, \d+ PASS\n$/);
  });

  it('a peer endpoint https:// to a plain-HTTP receiver: the peer status and the doctor name the TLS handshake', async () => {
    const root = newRoot();
    const key = keyFile(root);
    const [po, pc] = [await freePort(), await freePort()];
    // The cloud is a real routerd receiver: plain HTTP, as the docs' example once forgot.
    await start(root, { name: 'cloud', port: pc, key, peers: [{ name: 'onprem', port: po }] });
    const { config, stateDir } = writeNode(root, {
      name: 'onprem',
      port: po,
      key,
      peers: [{ name: 'cloud', port: pc }],
    });
    writeFileSync(
      config,
      readFileSync(config, 'utf8').replace(`http://127.0.0.1:${pc}`, `https://127.0.0.1:${pc}`),
    );
    const onprem = await startWith(config, stateDir);
    emit(onprem.stateDir, 1);

    const handshake = `TLS handshake with 127.0.0.1:${pc} failed (wrong version number)`;
    const useHttp = `set the EventPeer's endpoint to http://127.0.0.1:${pc}`;
    await expect
      .poll(
        () =>
          routerctlJson<{ lastError: string | null }[]>(onprem.stateDir, 'federation', 'peers')[0]?.lastError,
      )
      .toMatch(new RegExp(`^${handshake.replace(/[()]/g, '\\$&')}: .*${useHttp}`));
    expect(routerctl(onprem.stateDir, 'federation', 'peers').stdout).toContain(handshake);

    const { code, report } = doctor(onprem.stateDir);
    expect(code).toBe(1);
    const reachable = find(report, 'peer-reachable', 'cloud');
    expect(reachable).toMatchObject({
      status: 'FAIL',
      summary: expect.stringContaining(
        `https://127.0.0.1:${pc} does not answer its health check (${handshake})`,
      ),
    });
    expect(reachable.advice).toContain(useHttp);
    expect(reachable.advice).not.toContain('wg show');
  });

  it('a key file replaced by a FIFO after the start: secret-file-mode FAILs (the next start would refuse it)', async () => {
    const root = newRoot();
    const key = keyFile(root);
    const onprem = await start(root, { name: 'onprem', port: await freePort(), key, peers: [] });
    rmSync(key);
    expect(spawnSync('mkfifo', ['-m', '600', key]).status).toBe(0);
    expect(find(doctor(onprem.stateDir).report, 'secret-file-mode', key)).toMatchObject({
      status: 'FAIL',
      summary: 'cannot read it: it is not a regular file',
    });
  });

  it('a key file made group-readable after the start: secret-file-mode FAILs with the chmod to run', async () => {
    const root = newRoot();
    const key = keyFile(root);
    const onprem = await start(root, { name: 'onprem', port: await freePort(), key, peers: [] });
    expect(find(doctor(onprem.stateDir).report, 'secret-file-mode', key).status).toBe('PASS');
    chmodSync(key, 0o640);
    const { code, report } = doctor(onprem.stateDir);
    expect(code).toBe(1);
    expect(find(report, 'secret-file-mode', key)).toMatchObject({
      status: 'FAIL',
      summary: 'readable by group or others (mode 640)',
    });
    expect(find(report, 'secret-file-mode', key).advice).toContain(`chmod 600 ${key}`);
  });

  it('a group listening on 0.0.0.0 with allowWildcard: listen-address WARNs, and a WARN alone exits 0', async () => {
    const root = newRoot();
    const key = keyFile(root);
    const { config, stateDir } = writeNode(root, { name: 'onprem', port: await freePort(), key, peers: [] });
    writeFileSync(
      config,
      readFileSync(config, 'utf8').replace(
        /listen: \{ address: 127\.0\.0\.1, port: (\d+) \}/,
        'listen: { address: 0.0.0.0, port: $1, allowWildcard: true }',
      ),
    );
    const onprem = await startWith(config, stateDir);
    const { code, report } = doctor(onprem.stateDir);
    const listen = find(report, 'listen-address', 'edge');
    expect(listen.status).toBe('WARN');
    expect(listen.summary).toMatch(/^listens on every interface \(0\.0\.0\.0:\d+, allowWildcard: true\)$/);
    expect(listen.advice).toMatch(/overlay address/);
    expect(report.status).toBe('WARN');
    expect(code).toBe(0);
  });

  it('a degraded plugin (it declared a capability it was not granted): plugin-degraded FAILs', async () => {
    const root = newRoot();
    const key = keyFile(root);
    const { config, stateDir } = writeNode(root, { name: 'cloud', port: await freePort(), key, peers: [] });
    writeFileSync(
      config,
      `${readFileSync(config, 'utf8')}---
apiVersion: plugin.routerd.net/v1alpha1
kind: Plugin
metadata: { name: claims }
spec:
  executable: ${CLAIMS}
  lifecycle: longLived
  capabilities: []
`,
    );
    const cloud = await startWith(config, stateDir);
    await expect
      .poll(() => find(doctor(cloud.stateDir).report, 'plugin-degraded', 'claims').status, {
        timeout: 10_000,
      })
      .toBe('FAIL');
    const { code, report } = doctor(cloud.stateDir);
    expect(code).toBe(1);
    const c = find(report, 'plugin-degraded', 'claims');
    expect(c.summary).toMatch(/^degraded: .*propose\./);
    expect(c.advice).toMatch(/reload/);
  });
});

describe('routerctl doctor federation: subscriptions', () => {
  it('a subscription whose plugin crashes on a received event: subscription-failed FAILs with the commands to run', async () => {
    const root = newRoot();
    const key = keyFile(root);
    const [po, pc] = [await freePort(), await freePort()];
    const onprem = await start(root, { name: 'onprem', port: po, key, peers: [{ name: 'cloud', port: pc }] });
    const { config, stateDir } = writeNode(root, {
      name: 'cloud',
      port: pc,
      key,
      peers: [{ name: 'onprem', port: po }],
    });
    writeFileSync(
      config,
      `${readFileSync(config, 'utf8')}---
apiVersion: plugin.routerd.net/v1alpha1
kind: Plugin
metadata: { name: crasher }
spec:
  executable: ${CRASHER}
  capabilities: [propose.dynamicConfig]
---
apiVersion: federation.routerd.net/v1alpha1
kind: EventSubscription
metadata: { name: clients }
spec:
  groupRef: edge
  match: { types: ['routerd.client.ipv4.*'] }
  trigger: { pluginRef: crasher }
  retry: { baseDelay: 1m, maxDelay: 5m }
`,
    );
    const cloud = await startWith(config, stateDir);
    expect(find(doctor(cloud.stateDir).report, 'subscription-failed', 'clients').status).toBe('PASS');
    emit(onprem.stateDir, 1);
    await expect
      .poll(() => find(doctor(cloud.stateDir).report, 'subscription-failed', 'clients').status, {
        timeout: 10_000,
      })
      .toBe('FAIL');
    const { code, report } = doctor(cloud.stateDir);
    expect(code).toBe(1);
    const c = find(report, 'subscription-failed', 'clients');
    expect(c.summary).toMatch(/^1 event whose run of crasher failed/);
    expect(c.advice).toContain('routerctl plugin runs --plugin crasher --outcome failed');
    expect(c.advice).toContain('routerctl federation subscription retry clients');
  });
});

/** The node's config with an `EventGroup.spec.doctor` block added (the group is the first document). */
function withDoctor(configPath: string, block: string): string {
  return readFileSync(configPath, 'utf8').replace(/(\n {2}auth: [^\n]+\n)/, `$1  doctor: ${block}\n`);
}
