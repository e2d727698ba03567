// The doctor's key checks as pure functions: what key files hold (key-file) and peers about to be
// rotated out (peer-key-rotation: a notAfter within 7 days with no later key listed, or a peer that still
// signs only with the key going away).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type FederationConfig, loadConfig } from '../../src/config/index.js';
import { federationDoctor } from '../../src/doctor/federation.js';
import type { KeyContents, VerifiedKey } from '../../src/doctor/key-checks.js';

const NOW = Date.parse('2026-11-27T06:00:00Z');
const DAY = 86_400_000;

function config(): FederationConfig {
  const file = join(mkdtempSync(join(tmpdir(), 'key-checks-')), 'c.yaml');
  writeFileSync(
    file,
    `apiVersion: federation.routerd.net/v1alpha1
kind: EventGroup
metadata: { name: lab }
spec:
  nodeName: cloud-1
  listen: { address: 169.254.100.2 }
  auth: { mode: ed25519, privateKeyFile: /etc/routerd/node.key }
---
apiVersion: federation.routerd.net/v1alpha1
kind: EventPeer
metadata: { name: onprem }
spec:
  groupRef: lab
  nodeName: onprem-1
  endpoint: 'http://169.254.100.1:9443'
  auth: { publicKeyFile: /etc/routerd/onprem-1.pub }
`,
  );
  const load = loadConfig([file]);
  if (!load.ok) throw new Error(JSON.stringify(load.issues));
  return load.config;
}

function doctor(publicKeys: KeyContents, verifiedKeys: VerifiedKey[] = []) {
  const r = federationDoctor({
    config: config(),
    now: NOW,
    peers: [],
    deliveries: [],
    subscriptionRuns: [],
    plugins: [],
    skew: [],
    refused: [],
    keyFile: () => ({ mode: 0o100600 }),
    keyContents: (path, kind) =>
      path.endsWith('.pub') ? publicKeys : { kind, keys: [{ fingerprint: 'aaaaaaaaaaaa' }] },
    verifiedKeys,
  });
  return {
    keyFile: r.checks.filter((c) => c.code === 'key-file'),
    rotation: r.checks.find((c) => c.code === 'peer-key-rotation'),
  };
}

const keys = (...k: { fingerprint: string; notAfter?: number }[]): KeyContents => ({
  kind: 'ed25519-public',
  keys: k,
});
const seen = (fingerprint: string): VerifiedKey => ({
  group: 'lab',
  sender: 'onprem-1',
  fingerprint,
  at: NOW,
});

describe('key-file', () => {
  it('PASSes each file with its keys; FAILs one that no longer parses, naming the line', () => {
    expect(doctor(keys({ fingerprint: 'bbbbbbbbbbbb' })).keyFile).toEqual([
      {
        code: 'key-file',
        status: 'PASS',
        subject: '/etc/routerd/node.key',
        summary: '1 private key (aaaaaaaaaaaa)',
      },
      {
        code: 'key-file',
        status: 'PASS',
        subject: '/etc/routerd/onprem-1.pub',
        summary: '1 public key (bbbbbbbbbbbb)',
      },
    ]);
    const broken = doctor({ kind: 'ed25519-public', error: '/etc/routerd/onprem-1.pub:2: expected whpk_ …' });
    expect(broken.keyFile[1]).toMatchObject({
      status: 'FAIL',
      summary:
        'does not parse now: /etc/routerd/onprem-1.pub:2: expected whpk_ … — the next start or reload fails',
      advice: expect.stringContaining('routerctl keys public on the peer'),
    });
    expect(broken.rotation).toBeUndefined();
  });
});

describe('peer-key-rotation', () => {
  it('PASS: keys without an end, or one ending later than 7 days', () => {
    expect(doctor(keys({ fingerprint: 'k1' })).rotation).toMatchObject({
      status: 'PASS',
      summary: '1 public key for onprem-1, none rotated out within 7 days',
    });
    expect(doctor(keys({ fingerprint: 'k1', notAfter: NOW + 8 * DAY })).rotation?.status).toBe('PASS');
  });

  it('WARN: every key listed ends within 7 days and none follows it', () => {
    expect(doctor(keys({ fingerprint: 'k1', notAfter: NOW + 3 * DAY })).rotation).toMatchObject({
      status: 'WARN',
      subject: 'onprem',
      summary:
        'every public key listed for onprem-1 is rotated out by 2026-11-30 (in 3 days), and no later key is listed: from then on nothing onprem-1 sends is accepted',
      advice: expect.stringContaining('routerctl keys generate --type ed25519 --out KEYFILE --rotate'),
    });
    // One day left is said as one day (it said "in 1 days").
    expect(doctor(keys({ fingerprint: 'k1', notAfter: NOW + DAY / 2 })).rotation?.summary).toContain(
      '(in 1 day),',
    );
  });

  it('WARN: a later key is listed, but the peer still signs only with the one going away', () => {
    const listed = keys(
      { fingerprint: 'new', notAfter: undefined },
      { fingerprint: 'old', notAfter: NOW + 2 * DAY },
    );
    expect(doctor(listed, [seen('old')]).rotation).toMatchObject({
      status: 'WARN',
      summary: 'onprem-1 still signs only with key old, rotated out here on 2026-11-29 (in 2 days)',
    });
    // Once it signs with the new key (the receiver verifies the longest-lived first), all is well.
    expect(doctor(listed, [seen('new')]).rotation).toMatchObject({
      status: 'PASS',
      summary: 'old is rotated out on 2026-11-29; onprem-1 has a later key listed and signs with new',
    });
  });

  it('FAIL: every key listed is past its notAfter', () => {
    expect(doctor(keys({ fingerprint: 'k1', notAfter: NOW - DAY })).rotation).toMatchObject({
      status: 'FAIL',
      summary:
        'every public key listed for onprem-1 is past its notAfter: nothing onprem-1 sends is accepted',
    });
  });
});

describe('peer-probe in an ed25519 group', () => {
  it("a refused probe points at the peer's list of our public keys, not at a shared key file", () => {
    const r = federationDoctor({
      config: config(),
      now: NOW,
      peers: [
        {
          peer: 'onprem',
          endpoint: 'http://169.254.100.1:9443',
          state: 'auth-refused',
          consecutiveFailures: 3,
          lastSuccessAt: null,
          lastError: null,
          signedProbe: { outcome: 'key', detail: 'http 401', clockOffsetMs: 0 },
        },
      ],
      deliveries: [],
      subscriptionRuns: [],
      plugins: [],
      skew: [],
      refused: [],
      keyFile: () => ({ mode: 0o100600 }),
    });
    const probe = r.checks.find((c) => c.code === 'peer-probe');
    expect(probe?.status).toBe('FAIL');
    expect(probe?.advice).toMatch(
      /^onprem must list this node's public key: compare routerctl keys public on this router with the EventPeer auth\.publicKeyFile/,
    );
  });
});
