// The auth and TLS fields of EventGroup and EventPeer (issue 20): what each combination means, and every
// refusal naming the resource and the field.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';

const dir = mkdtempSync(join(tmpdir(), 'routerd-identity-config-'));
let n = 0;

function load(group: string, peer: string) {
  const path = join(dir, `c-${++n}.yaml`);
  writeFileSync(
    path,
    `apiVersion: federation.routerd.net/v1alpha1
kind: EventGroup
metadata: { name: lab }
spec:
  nodeName: cloud-1
${group}
---
apiVersion: federation.routerd.net/v1alpha1
kind: EventPeer
metadata: { name: onprem }
spec:
  groupRef: lab
  nodeName: onprem-1
${peer}
`,
  );
  return loadConfig([path]);
}

const problems = (r: ReturnType<typeof load>) =>
  r.ok ? [] : r.issues.map((i) => `${i.resource} ${i.path}: ${i.message}`);

const ED = '  auth: { mode: ed25519, privateKeyFile: /etc/routerd/node.key }';
const PIN = `${'AB:'.repeat(31)}AB`;

describe('auth and TLS in the config', () => {
  it('accepts Ed25519 with a public key per peer, TLS with pinned client certificates and a pinned peer', () => {
    const r = load(
      `${ED}
  listen:
    address: 169.254.10.2
    tls: { certFile: /etc/routerd/tls/cloud.crt, keyFile: /etc/routerd/tls/cloud.key, clientAuth: { pinnedSha256: ['${PIN}'] } }`,
      `  endpoint: https://169.254.10.1:9443
  auth: { publicKeyFile: /etc/routerd/peers/onprem-1.pub }
  tls: { pinnedSha256: ['${'ab'.repeat(32)}'], certFile: /etc/routerd/tls/cloud.crt, keyFile: /etc/routerd/tls/cloud.key }`,
    );
    expect(problems(r)).toEqual([]);
    if (!r.ok) return;
    expect(r.config.groups[0]!.resource.spec.listen?.tls?.clientAuth?.required).toBe(true);
  });

  it('an Ed25519 group needs a public key file for each peer, never a shared secret', () => {
    expect(problems(load(ED, '  endpoint: http://169.254.10.1:9443'))).toEqual([
      "EventPeer/onprem /spec/auth: EventGroup/lab signs with ed25519: set auth.publicKeyFile to a file of onprem-1's public keys (routerctl keys public on that node prints them)",
    ]);
    expect(
      problems(
        load(ED, '  endpoint: http://169.254.10.1:9443\n  auth: { secretFile: /etc/routerd/pair.key }'),
      )[0],
    ).toMatch(/instead of auth\.secretFile$/);
  });

  it('a public key file in an hmac group is refused, naming the field', () => {
    expect(
      problems(
        load(
          '  auth: { mode: hmac, secretFile: /etc/routerd/lab.key }',
          '  endpoint: http://169.254.10.1:9443\n  auth: { publicKeyFile: /etc/routerd/onprem-1.pub }',
        ),
      ),
    ).toEqual([
      "EventPeer/onprem /spec/auth/publicKeyFile: is for a group that signs with ed25519, and EventGroup/lab uses hmac: set the group's auth to {mode: ed25519, privateKeyFile: …}, or give this peer auth.secretFile",
    ]);
  });

  it('TLS: exactly one trust anchor, both halves of a client certificate, an https endpoint, a real fingerprint', () => {
    const peerTls = (tls: string, endpoint = 'https://169.254.10.1:9443') =>
      problems(load('', `  endpoint: ${endpoint}\n  tls: ${tls}`));
    expect(peerTls('{ serverName: cloud-1 }')).toEqual([
      "EventPeer/onprem /spec/tls: needs exactly one of caFile (the CA that issued the peer's certificate) and pinnedSha256 (the peer's certificate itself)",
    ]);
    expect(peerTls(`{ pinnedSha256: ['${PIN}'], certFile: /etc/c.crt }`)).toEqual([
      'EventPeer/onprem /spec/tls/keyFile: is required with the other: a client certificate needs both certFile and keyFile',
    ]);
    expect(peerTls(`{ pinnedSha256: ['${PIN}'] }`, 'http://169.254.10.1:9443')).toEqual([
      'EventPeer/onprem /spec/endpoint: must be https:// when spec.tls is given (was "http://169.254.10.1:9443")',
    ]);
    expect(peerTls("{ pinnedSha256: ['AB:CD'] }")[0]).toMatch(
      /^EventPeer\/onprem \/spec\/tls\/pinnedSha256\/0: must be a SHA-256 certificate fingerprint/,
    );
    expect(
      problems(
        load(
          '  listen: { address: 169.254.10.2, tls: { certFile: /c.crt, keyFile: /c.key, clientAuth: { required: true } } }',
          '  endpoint: http://169.254.10.1:9443',
        ),
      ),
    ).toEqual([
      'EventGroup/lab /spec/listen/tls/clientAuth: needs exactly one of caFile (client certificates issued by that CA) and pinnedSha256 (these certificates only)',
    ]);
  });
});
