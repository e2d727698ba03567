/** Helpers for tests that run several real daemons federating over loopback (or network namespaces). */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSecret } from '@routerd/host/keys';
import { freePort, TestDaemon, tempDir } from '@routerd/host/testing';
import type { DoctorCheck, DoctorResponse } from '@routerd/host-wire';
import { afterEach, expect } from 'vitest';

export const ROUTERCTL = fileURLToPath(
  new URL('../../../../packages/cli/dist/routerctl.js', import.meta.url),
);

export function routerctl(stateDir: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [ROUTERCTL, '--state-dir', stateDir, ...args], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, ROUTERD_SOCKET: '' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function routerctlJson<T>(stateDir: string, ...args: string[]): T {
  const r = routerctl(stateDir, ...args, '-o', 'json');
  if (r.code !== 0) throw new Error(`routerctl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** `routerctl federation event list --type TYPE -o json` on a node: its stored events of one type. */
export function eventsOfType<T>(stateDir: string, type: string): T {
  return routerctlJson<T>(stateDir, 'federation', 'event', 'list', '--type', type);
}

export { freePort };

export function keyFile(dir: string, name = 'group.key'): string {
  const path = join(dir, name);
  writeFileSync(path, `${generateSecret()}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}

export interface NodeSpec {
  name: string;
  address?: string;
  port: number;
  peers: { name: string; address?: string; port: number; types?: string[] }[];
  key: string;
  retry?: { baseDelay: string; maxDelay: string };
  retention?: { maxAge?: string; maxEvents?: number };
}

export function nodeConfig(n: NodeSpec): string {
  const retention = n.retention
    ? `\n  retention:${n.retention.maxAge ? `\n    maxAge: ${n.retention.maxAge}` : ''}${n.retention.maxEvents ? `\n    maxEvents: ${n.retention.maxEvents}` : ''}`
    : '';
  const docs = [
    `apiVersion: federation.routerd.net/v1alpha1
kind: EventGroup
metadata: { name: edge }
spec:
  nodeName: ${n.name}
  listen: { address: ${n.address ?? '127.0.0.1'}, port: ${n.port} }
  auth: { mode: hmac, secretFile: ${n.key} }${retention}
`,
    ...n.peers.map(
      (p) => `apiVersion: federation.routerd.net/v1alpha1
kind: EventPeer
metadata: { name: ${p.name} }
spec:
  groupRef: edge
  nodeName: ${p.name}
  endpoint: http://${p.address ?? '127.0.0.1'}:${p.port}
  push: { types: [${(p.types ?? []).join(', ')}] }
  retry: { baseDelay: ${n.retry?.baseDelay ?? '100ms'}, maxDelay: ${n.retry?.maxDelay ?? '1s'} }
`,
    ),
  ];
  return docs.join('---\n');
}

export function writeNode(root: string, n: NodeSpec): { config: string; stateDir: string } {
  const dir = join(root, n.name);
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'federation.yaml');
  writeFileSync(config, nodeConfig(n));
  return { config, stateDir: join(dir, 'state') };
}

export function newRoot(): string {
  return tempDir('routerd-fed-');
}

/**
 * onprem and cloud, each the other's peer, written under a new root and not started. Each has its own
 * copy of one key, so one side's can be broken alone.
 */
export async function writeKeyedPair(retry?: NodeSpec['retry']) {
  const root = newRoot();
  const onpremKey = keyFile(root, 'onprem.key');
  const cloudKey = join(root, 'cloud.key');
  copyFileSync(onpremKey, cloudKey);
  const [po, pc] = [await freePort(), await freePort()];
  const onpremNode = writeNode(root, {
    name: 'onprem',
    port: po,
    key: onpremKey,
    peers: [{ name: 'cloud', port: pc }],
    retry,
  });
  const cloudNode = writeNode(root, {
    name: 'cloud',
    port: pc,
    key: cloudKey,
    peers: [{ name: 'onprem', port: po }],
  });
  return { root, onpremKey, cloudKey, onpremNode, cloudNode };
}

/**
 * Daemons that live for one test: call once at the top of a test file; each daemon `start` starts is
 * stopped after the test that started it, and `stop` stops one earlier.
 */
export function daemonsPerTest() {
  const running: TestDaemon[] = [];
  afterEach(async () => {
    for (const d of running.splice(0)) await d.stop();
  });
  return {
    /** The daemon of a node writeNode wrote, run under `prefix` if given. */
    async start(node: { config: string; stateDir: string }, prefix?: string[]): Promise<TestDaemon> {
      const d = await TestDaemon.start({
        configFiles: [node.config],
        stateDir: node.stateDir,
        ...(prefix ? { prefix } : {}),
      });
      running.push(d);
      return d;
    },
    async stop(d: TestDaemon): Promise<void> {
      await d.stop();
      running.splice(running.indexOf(d), 1);
    },
  };
}

/** SIGHUP, and wait for the daemon to log one more 'config reloaded'. */
export async function reload(d: TestDaemon): Promise<void> {
  const reloads = () => d.logs.filter((l) => l.msg === 'config reloaded').length;
  const n = reloads();
  d.signal('SIGHUP');
  await expect.poll(reloads, { timeout: 10_000, interval: 20 }).toBe(n + 1);
}

/** `routerctl doctor federation -o json` (and `args`, e.g. --no-probe): its exit code and parsed report. */
export function doctorReport(stateDir: string, ...args: string[]) {
  const r = routerctl(stateDir, 'doctor', 'federation', '-o', 'json', ...args);
  return { code: r.code, report: JSON.parse(r.stdout) as DoctorResponse, stderr: r.stderr };
}

/** The report's check with this code (and subject, if given); throws, listing the checks, if there is none. */
export function findCheck(report: DoctorResponse, code: string, subject?: string): DoctorCheck {
  const c = report.checks.find((x) => x.code === code && (subject === undefined || x.subject === subject));
  if (!c) throw new Error(`no ${code} check for ${subject}: ${JSON.stringify(report.checks, null, 1)}`);
  return c;
}

/**
 * The ARP/DHCP observer as a long-lived Plugin resource: `config` lines go under spec.config, `spec`
 * lines under spec (after its capabilities).
 */
export function arpObserverPlugin(executable: string, config: string[], spec: string[] = []): string {
  return `apiVersion: plugin.routerd.net/v1alpha1
kind: Plugin
metadata: { name: arp-observer }
spec:
  executable: ${executable}
  lifecycle: longLived
  capabilities: [observe.events]${spec.map((l) => `\n  ${l}`).join('')}
  config:
${config.map((l) => `    ${l}\n`).join('')}`;
}

/** Bulk emit through the control API (routerctl emits one event per process; tests need thousands). */
export function emitBatch(socketPath: string, events: unknown[]): Promise<{ status: number; body: unknown }> {
  const payload = JSON.stringify({ events });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent: false, // no kept-alive socket the daemon may have closed meanwhile (EPIPE)
        socketPath,
        method: 'POST',
        path: '/v1/events/batch',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export const observed = (i: number, ttl = '600s', id?: string) => ({
  ...(id ? { id } : {}),
  type: 'routerd.client.ipv4.observed',
  ttl,
  payload: {
    address: `10.${100 + Math.floor(i / 65536)}.${Math.floor(i / 256) % 256}.${i % 256}/32`,
    domain: 'lan',
    ownerSide: 'onprem',
    source: 'arp',
  },
});

/** GET a control API path over the unix socket (for polling without a process per call). */
export function controlGet<T>(socketPath: string, path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    request({ agent: false, socketPath, path }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => resolve(JSON.parse(text) as T));
    })
      .on('error', reject)
      .end();
  });
}

export async function storedCount(stateDir: string): Promise<number> {
  return (await controlGet<{ events: { stored: number } }>(join(stateDir, 'routerd.sock'), '/v1/status'))
    .events.stored;
}

export function controlGetText(stateDir: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ agent: false, socketPath: join(stateDir, 'routerd.sock'), path }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => resolve(text));
    })
      .on('error', reject)
      .end();
  });
}

/** Write `text` as NAME/federation.yaml under root: the options TestDaemon.start takes for that node. */
export function writeNodeFiles(root: string, name: string, text: string) {
  mkdirSync(join(root, name), { recursive: true });
  const file = join(root, name, 'federation.yaml');
  writeFileSync(file, text);
  return { configFiles: [file], stateDir: join(root, name, 'state') };
}

/** `routerctl federation event emit` of an on-prem client's observation, as an operator would type it. */
export function emitObservedWithRouterctl(stateDir: string, address: string, ...extra: string[]) {
  return emitObservationWithRouterctl(stateDir, 'onprem', address, ...extra);
}

/** The same, for a client on `ownerSide`. */
export function emitObservationWithRouterctl(
  stateDir: string,
  ownerSide: string,
  address: string,
  ...extra: string[]
) {
  return routerctl(
    stateDir,
    'federation',
    'event',
    'emit',
    '--type',
    'routerd.client.ipv4.observed',
    '--payload',
    `address=${address}`,
    '--payload',
    'domain=lan',
    '--payload',
    `ownerSide=${ownerSide}`,
    '--payload',
    'source=arp',
    ...(extra.includes('--ttl') ? [] : ['--ttl', '300s']),
    ...extra,
  );
}

/**
 * A plugin the cloud runs on every on-prem client event: the Plugin and the `onprem-clients`
 * EventSubscription, as YAML documents to append to the cloud's nodeConfig. `config`: the plugin's
 * spec.config as one YAML value (a flow mapping, or a block whose lines are indented four spaces);
 * `trigger` and `teardown`: more of the subscription's fields, as YAML flow text.
 */
export function clientsPluginYaml(o: {
  name: string;
  executable: string;
  longLived?: boolean;
  config?: string;
  trigger?: string;
  teardown?: string;
}): string {
  return `---
apiVersion: plugin.routerd.net/v1alpha1
kind: Plugin
metadata: { name: ${o.name} }
spec:
  executable: ${o.executable}
${o.longLived ? '  lifecycle: longLived\n' : ''}  capabilities: [propose.dynamicConfig, propose.providerAction]
${o.config === undefined ? '' : `  config: ${o.config}\n`}---
apiVersion: federation.routerd.net/v1alpha1
kind: EventSubscription
metadata: { name: onprem-clients }
spec:
  groupRef: edge
  match: { types: ['routerd.client.ipv4.*'], sourceNodes: [onprem] }
  trigger: { pluginRef: ${o.name}${o.trigger ? `, ${o.trigger}` : ''} }
${o.teardown ? `  teardown: ${o.teardown}\n` : ''}`;
}

/**
 * The cloud side of a journey test: the claims plugin (tests/e2e/test/fixtures/claims-plugin.mjs) run by
 * a subscription to on-prem's client events, as YAML documents to append to the cloud's nodeConfig.
 */
export const claimsCloudExtras = clientsPluginYaml({
  name: 'claims',
  executable: fileURLToPath(new URL('../fixtures/claims-plugin.mjs', import.meta.url)),
  trigger: 'batchWindow: 0s',
});
