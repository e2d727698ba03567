// Shared by the bench scripts that run real routerd-eventd processes: ports, control-socket calls,
// and a federation pair's config files.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';

const hostDist = new URL('../../packages/host/dist/', import.meta.url);
const testing = await import(new URL('testing.js', hostDist).href);
export const { tempDir } = testing;

/**
 * Node's flags as deploy/systemd/routerd-eventd.service starts the daemon (its NODE_OPTIONS line; the
 * FreeBSD rc script's default is the same): every bench runs the daemon as deployed.
 */
export const DEPLOYED_NODE_OPTIONS =
  readFileSync(new URL('../../deploy/systemd/routerd-eventd.service', import.meta.url), 'utf8').match(
    /^Environment=NODE_OPTIONS=(.*)$/m,
  )?.[1] ?? '';
/** The environment for a daemon spawned by hand. */
export const deployedEnv = (env = process.env) => ({
  ...env,
  NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} ${DEPLOYED_NODE_OPTIONS}`.trim(),
});
/** BENCH_CPU_PROF=<dir>: each daemon a bench starts writes a V8 CPU profile there when it exits. */
export const profileFlags = () =>
  process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];

/** @routerd/host's TestDaemon, starting the daemon with the deployed node flags. */
export const TestDaemon = {
  start: (options) =>
    testing.TestDaemon.start({
      ...options,
      prefix: [
        'env',
        `NODE_OPTIONS=${deployedEnv().NODE_OPTIONS}`,
        ...(options.prefix ?? []),
        // node's own flags go before the daemon's script, which TestDaemon puts right after node.
        ...(profileFlags().length > 0 ? ['sh', '-c', `exec "$0" ${profileFlags().join(' ')} "$@"`] : []),
      ],
    }),
};
const { generateSecret } = await import(new URL('keys.js', hostDist).href);

export const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** POST JSON to a daemon's control socket; resolves with the status code. */
export const controlPost = (stateDir, path, body) =>
  new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request(
      {
        socketPath: join(stateDir, 'routerd.sock'),
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });

export const controlGet = (stateDir, path) =>
  new Promise((resolve, reject) => {
    request({ socketPath: join(stateDir, 'routerd.sock'), path }, (res) => {
      let t = '';
      res.on('data', (c) => {
        t += c;
      });
      res.on('end', () => resolve(JSON.parse(t)));
    })
      .on('error', reject)
      .end();
  });

export const storedCount = async (stateDir) => (await controlGet(stateDir, '/v1/status')).events.stored;

/** A shared key file (0600) in `root`. */
export function keyFile(root) {
  const key = join(root, 'k');
  writeFileSync(key, `${generateSecret()}\n`, { mode: 0o600 });
  chmodSync(key, 0o600);
  return key;
}

/**
 * Config for one node of an `edge` group with one peer; `extra` YAML documents are appended; `otlp`: a
 * collector URL the node exports its spans and metrics to (EventGroup.spec.otlp).
 */
export function nodeOptions(
  root,
  { name, port, peer, peerPort, key, maxDelay = '1s', pushTypes = [], extra = '', otlp },
) {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'f.yaml');
  writeFileSync(
    config,
    `apiVersion: federation.routerd.net/v1alpha1
kind: EventGroup
metadata: { name: edge }
spec: { nodeName: ${name}, listen: { address: 127.0.0.1, port: ${port} }, auth: { mode: hmac, secretFile: ${key} }${otlp ? `, otlp: { endpoint: '${otlp}', exportInterval: 1s }` : ''} }
---
apiVersion: federation.routerd.net/v1alpha1
kind: EventPeer
metadata: { name: ${peer} }
spec: { groupRef: edge, nodeName: ${peer}, endpoint: 'http://127.0.0.1:${peerPort}', push: { types: [${pushTypes.join(', ')}] }, retry: { baseDelay: 100ms, maxDelay: ${maxDelay} } }
${extra}`,
  );
  return { configFiles: [config], stateDir: join(dir, 'state') };
}

export async function waitFor(fn, timeoutMs, intervalMs = 20) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error('timed out');
}

/**
 * A daemon with logging turned down (`--log-level warn`), for benchmarks where log lines would cost
 * time; ready once its control socket answers. Resolves with the child process.
 */
export async function startQuietDaemon(configFile, stateDir) {
  const bin = new URL('../../packages/host/dist/bin/routerd-eventd.js', import.meta.url).pathname;
  const daemon = spawn(
    process.execPath,
    [...profileFlags(), bin, '--config', configFile, '--state-dir', stateDir, '--log-level', 'warn'],
    { stdio: ['ignore', 'ignore', 'inherit'], env: deployedEnv() },
  );
  const socketPath = join(stateDir, 'routerd.sock');
  for (let i = 0; ; i++) {
    try {
      await new Promise((resolve, reject) =>
        request({ socketPath, path: '/v1/status' }, resolve).on('error', reject).end(),
      );
      return daemon;
    } catch {
      if (i > 200) throw new Error('daemon did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
