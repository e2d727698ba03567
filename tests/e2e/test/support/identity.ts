/**
 * Per-node identity for system tests: Ed25519 keys and self-signed certificates made with the real
 * `routerctl keys generate --type ed25519` and `routerctl tls self-signed`, a CA and its certificates and
 * an expired certificate made with openssl (and libfaketime for the past dates), and the YAML of a node
 * whose auth and TLS are any of the combinations the resources allow.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakeClock } from './faketime.js';
import { routerctl } from './federation.js';

/** routerctl keys generate --type ed25519 --out DIR/NAME.key: the private key file and its public one. */
export function ed25519Key(dir: string, name: string): { privateKeyFile: string; publicKeyFile: string } {
  const privateKeyFile = join(dir, `${name}.key`);
  const r = routerctl(dir, 'keys', 'generate', '--type', 'ed25519', '--out', privateKeyFile);
  if (r.code !== 0) throw new Error(`routerctl keys generate failed: ${r.stderr}`);
  const publicKeyFile = join(dir, `${name}.pub`);
  writeFileSync(publicKeyFile, r.stdout);
  return { privateKeyFile, publicKeyFile };
}

export interface CertFiles {
  certFile: string;
  keyFile: string;
  /** SHA-256 as openssl prints it (AB:CD:…). */
  fingerprint: string;
}

/** routerctl tls self-signed: a node's certificate for `name` and 127.0.0.1. */
export function selfSigned(dir: string, name: string, ...extra: string[]): CertFiles {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.tls.key`);
  const r = routerctl(
    dir,
    'tls',
    'self-signed',
    '--name',
    name,
    '--ip',
    '127.0.0.1',
    '--cert',
    certFile,
    '--key',
    keyFile,
    ...extra,
  );
  if (r.code !== 0) throw new Error(`routerctl tls self-signed failed: ${r.stderr}`);
  return { certFile, keyFile, fingerprint: r.stdout.trim() };
}

function openssl(args: string[], prefix: string[] = []): void {
  const [cmd, ...rest] = [...prefix, 'openssl', ...args];
  execFileSync(cmd!, rest, { stdio: ['ignore', 'ignore', 'pipe'] });
}

const fingerprintOf = (certFile: string) => new X509Certificate(readFileSync(certFile)).fingerprint256;

/**
 * A self-signed certificate issued at `start` (libfaketime's syntax: `@2020-01-01 00:00:00`, or `-20d`
 * for 20 days ago) and valid for `days` from then.
 */
export function selfSignedIssuedAt(dir: string, name: string, start: string, days: number): CertFiles {
  const certFile = join(dir, `${name}.issued.crt`);
  const keyFile = join(dir, `${name}.issued.key`);
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      String(days),
      '-subj',
      `/CN=${name}`,
      '-addext',
      `subjectAltName=DNS:${name},IP:127.0.0.1`,
    ],
    fakeClock(start),
  );
  chmodSync(keyFile, 0o600);
  return { certFile, keyFile, fingerprint: fingerprintOf(certFile) };
}

/** A self-signed certificate made in 2020 and valid for 30 days: long expired. */
export const expiredSelfSigned = (dir: string, name: string): CertFiles =>
  selfSignedIssuedAt(dir, name, '@2020-01-01 00:00:00', 30);

/** A CA (its certificate file) and a function issuing certificates signed by it, for names and 127.0.0.1. */
export function certificateAuthority(dir: string, name: string) {
  mkdirSync(dir, { recursive: true });
  const caCert = join(dir, `${name}.ca.crt`);
  const caKey = join(dir, `${name}.ca.key`);
  openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    caKey,
    '-out',
    caCert,
    '-days',
    '30',
    '-subj',
    `/CN=${name} test CA`,
  ]);
  let serial = 1;
  return {
    caFile: caCert,
    issue(leaf: string, san = `DNS:${leaf},IP:127.0.0.1`): CertFiles {
      const keyFile = join(dir, `${leaf}.key`);
      const csr = join(dir, `${leaf}.csr`);
      const certFile = join(dir, `${leaf}.crt`);
      const ext = join(dir, `${leaf}.ext`);
      writeFileSync(ext, `subjectAltName=${san}\n`);
      openssl([
        'req',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        csr,
        '-subj',
        `/CN=${leaf}`,
      ]);
      openssl([
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        caCert,
        '-CAkey',
        caKey,
        '-set_serial',
        String(serial++),
        '-days',
        '30',
        '-out',
        certFile,
        '-extfile',
        ext,
      ]);
      chmodSync(keyFile, 0o600);
      return { certFile, keyFile, fingerprint: fingerprintOf(certFile) };
    },
  };
}

export type GroupAuth = { mode: 'hmac'; secretFile: string } | { mode: 'ed25519'; privateKeyFile: string };
export type PeerAuth = { secretFile: string } | { publicKeyFile: string };

export interface IdentityPeer {
  name: string;
  port: number;
  https?: boolean;
  auth?: PeerAuth;
  tls?: Record<string, unknown>;
  types?: string[];
}

export interface IdentityNode {
  name: string;
  port: number;
  auth: GroupAuth;
  listenTls?: Record<string, unknown>;
  peers: IdentityPeer[];
}

const flow = (o: Record<string, unknown>) => JSON.stringify(o);

/** The node's federation.yaml (group `edge`), written under root/NAME/. */
export function writeIdentityNode(root: string, n: IdentityNode): { config: string; stateDir: string } {
  const listenTls = n.listenTls ? `, tls: ${flow(n.listenTls)}` : '';
  const docs = [
    `apiVersion: federation.routerd.net/v1alpha1
kind: EventGroup
metadata: { name: edge }
spec:
  nodeName: ${n.name}
  listen: { address: 127.0.0.1, port: ${n.port}${listenTls} }
  auth: ${flow(n.auth)}
`,
    ...n.peers.map(
      (p) => `apiVersion: federation.routerd.net/v1alpha1
kind: EventPeer
metadata: { name: ${p.name} }
spec:
  groupRef: edge
  nodeName: ${p.name}
  endpoint: ${p.https ? 'https' : 'http'}://127.0.0.1:${p.port}
  push: { types: [${(p.types ?? []).join(', ')}] }
  retry: { baseDelay: 100ms, maxDelay: 1s }${p.auth ? `\n  auth: ${flow(p.auth)}` : ''}${p.tls ? `\n  tls: ${flow(p.tls)}` : ''}
`,
    ),
  ];
  const dir = join(root, n.name);
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'federation.yaml');
  writeFileSync(config, docs.join('---\n'));
  return { config, stateDir: join(dir, 'state') };
}
