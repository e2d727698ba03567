/** Helpers for tests that run several real daemons federating over loopback (or network namespaces). */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSecret } from '@routerd/host/keys';
import { tempDir } from '@routerd/host/testing';

export const ROUTERCTL = fileURLToPath(new URL('../../dist/routerctl.js', import.meta.url));

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

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

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

/** Bulk emit through the control API (routerctl emits one event per process; tests need thousands). */
export function emitBatch(socketPath: string, events: unknown[]): Promise<{ status: number; body: unknown }> {
  const payload = JSON.stringify({ events });
  return new Promise((resolve, reject) => {
    const req = request(
      {
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
    request({ socketPath, path }, (res) => {
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
    request({ socketPath: join(stateDir, 'routerd.sock'), path }, (res) => {
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

/** `routerctl federation event emit` of a client observation, as an operator would type it. */
export function emitObservedWithRouterctl(stateDir: string, address: string, ...extra: string[]) {
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
    'ownerSide=onprem',
    '--payload',
    'source=arp',
    ...(extra.includes('--ttl') ? [] : ['--ttl', '300s']),
    ...extra,
  );
}
