// The doctor's judgement, as a pure function: thresholds per group, clock skew, subscription failures,
// lag — the cases the real-daemon tests in tests/e2e do not reach without waiting minutes.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type FederationConfig, loadConfig } from '../../src/config/index.js';
import { DoctorCodes, type DoctorInputs, federationDoctor } from '../../src/doctor/federation.js';
import { ClockSkewTracker } from '../../src/federation/clock-skew.js';
import type { PeerProbeResult } from '../../src/federation/probe-client.js';
import { RefusedRequests, UNKNOWN_SENDER } from '../../src/federation/refused-requests.js';

const NOW = Date.parse('2026-11-27T06:00:00Z');

function config(doctor = ''): FederationConfig {
  const file = join(mkdtempSync(join(tmpdir(), 'doctor-')), 'c.yaml');
  writeFileSync(
    file,
    `apiVersion: federation.routerd.net/v1alpha1
kind: EventGroup
metadata: { name: lab }
spec:
  nodeName: cloud-1
  listen: { address: 169.254.100.2 }
  auth: { mode: hmac, secretFile: /etc/routerd/lab.key }${doctor ? `\n  doctor: ${doctor}` : ''}
---
apiVersion: federation.routerd.net/v1alpha1
kind: EventPeer
metadata: { name: onprem }
spec: { groupRef: lab, nodeName: onprem-1, endpoint: 'http://169.254.100.1:9443' }
---
apiVersion: plugin.routerd.net/v1alpha1
kind: Plugin
metadata: { name: aws }
spec: { executable: /usr/libexec/routerd/plugins/routerd-plugin-aws }
---
apiVersion: federation.routerd.net/v1alpha1
kind: EventSubscription
metadata: { name: clients }
spec: { groupRef: lab, trigger: { pluginRef: aws } }
---
apiVersion: federation.routerd.net/v1alpha1
kind: EventGroup
metadata: { name: signed }
spec:
  nodeName: cloud-1
  auth: { mode: ed25519, privateKeyFile: /etc/routerd/node.key }
---
apiVersion: federation.routerd.net/v1alpha1
kind: EventPeer
metadata: { name: edge }
spec:
  groupRef: signed
  nodeName: edge-1
  endpoint: 'https://169.254.100.3:9443'
  auth: { publicKeyFile: /etc/routerd/edge-1.pub }
  tls: { pinnedSha256: ['${'ab'.repeat(32)}'], certFile: /etc/routerd/cloud-1.crt, keyFile: /etc/routerd/cloud-1.tls.key }
---
apiVersion: config.routerd.net/v1alpha1
kind: ActionPolicy
metadata: { name: aws }
spec: { tools: { aws: /usr/bin/aws } }
`,
  );
  const load = loadConfig([file]);
  if (!load.ok) throw new Error(JSON.stringify(load.issues));
  return load.config;
}

function inputs(over: Partial<DoctorInputs> = {}): DoctorInputs {
  return {
    config: config(),
    now: NOW,
    peers: [
      {
        peer: 'onprem',
        endpoint: 'http://169.254.100.1:9443',
        state: 'healthy',
        consecutiveFailures: 0,
        lastSuccessAt: new Date(NOW - 5_000).toISOString(),
        lastError: null,
        probe: { ok: true },
        signedProbe: { outcome: 'ok', node: 'onprem-1', keyFingerprint: '0123456789ab', clockOffsetMs: 300 },
      },
    ],
    deliveries: [
      {
        peer: 'onprem',
        delivered: 10,
        pending: 0,
        failed: 0,
        expired: 0,
        oldestPendingAgeSeconds: null,
        maxLagSeconds: 0.2,
      },
    ],
    subscriptionRuns: [],
    plugins: [{ name: 'aws', lifecycle: 'oneShot', state: 'running', intervals: [] }],
    skew: [],
    refused: [],
    keyFile: () => ({ mode: 0o100600 }),
    keyContents: (_path, kind) => ({ kind, keys: [{ fingerprint: '0123456789ab' }] }),
    certificates: () => ({
      certificates: [
        { subject: 'CN=cloud-1', validFromMs: NOW - 86_400_000, validToMs: NOW + 400 * 86_400_000 },
      ],
    }),
    stateDisk: { path: '/var/lib/routerd', freeBytes: 512 * 1024 * 1024 },
    configState: { generation: 1, changedOnDisk: [] },
    actions: { awaiting: [], failed: [], toolFile: () => 'ok' },
    ...over,
  };
}

const statusOf = (r: ReturnType<typeof federationDoctor>, code: string) =>
  r.checks.filter((c) => c.code === code).map((c) => [c.subject, c.status]);

describe('federationDoctor', () => {
  it('all PASS when all is well; every code appears', () => {
    const r = federationDoctor(inputs());
    expect(r.checks.filter((c) => c.status !== 'PASS')).toEqual([]);
    expect(r.status).toBe('PASS');
    expect(new Set(r.checks.map((c) => c.code))).toEqual(new Set(DoctorCodes));
  });

  it('lag: a stuck delivery FAILs, a slow one in the past WARNs; the group sets the threshold', () => {
    const stuck = inputs({
      deliveries: [{ ...inputs().deliveries[0]!, pending: 3, oldestPendingAgeSeconds: 90 }],
    });
    expect(statusOf(federationDoctor(stuck), 'delivery-lag')).toEqual([['onprem', 'FAIL']]);
    expect(
      statusOf(federationDoctor({ ...stuck, config: config('{ maxLag: 2m }') }), 'delivery-lag'),
    ).toEqual([['onprem', 'PASS']]);
    const slow = inputs({ deliveries: [{ ...inputs().deliveries[0]!, maxLagSeconds: 75 }] });
    expect(statusOf(federationDoctor(slow), 'delivery-lag')).toEqual([['onprem', 'WARN']]);
  });

  it('a peer silent past peerSilentAfter with a backlog FAILs even while its health check answers', () => {
    const r = federationDoctor(
      inputs({
        peers: [{ ...inputs().peers[0]!, lastSuccessAt: new Date(NOW - 400_000).toISOString() }],
        deliveries: [{ ...inputs().deliveries[0]!, pending: 1, oldestPendingAgeSeconds: 350 }],
      }),
    );
    expect(r.checks.find((c) => c.code === 'peer-reachable')).toMatchObject({
      status: 'FAIL',
      summary: expect.stringMatching(/^no successful delivery for 400s \(peerSilentAfter 300s\)/),
    });
  });

  it('a peer refusing our signature needs the operator: the advice follows the cause its Date header gave', () => {
    const refused = (refusal?: 'clock' | 'key') =>
      federationDoctor(
        inputs({
          peers: [
            {
              ...inputs().peers[0]!,
              state: 'auth-refused',
              consecutiveFailures: 4,
              lastError: 'http 401: unauthorized: …',
              ...(refusal ? { refusal } : {}),
            },
          ],
          deliveries: [{ ...inputs().deliveries[0]!, pending: 7, oldestPendingAgeSeconds: 30 }],
        }),
      ).checks.find((x) => x.code === 'peer-reachable')!;
    const key = refused('key');
    expect(key.status).toBe('FAIL');
    expect(key.summary).toMatch(/^onprem refuses our requests \(needs the operator\): .*; 7 events waiting$/);
    expect(key.advice).toMatch(
      /^both sides must hold the same key: .*routerctl federation peers retry onprem/,
    );
    expect(refused('clock').advice).toMatch(/^synchronise the clocks of both routers .*peers retry onprem/);
    expect(refused().advice).toMatch(/same key .* clocks agree within the replay window \(300s\)/);
  });

  it('clock skew as recorded by the receiver: PASS, WARN over maxClockSkew, FAIL over half the replay window', () => {
    const tracker = new ClockSkewTracker();
    const at = (skewSeconds: number) => {
      const t = new ClockSkewTracker();
      t.record('lab', 'onprem-1', Math.floor(NOW / 1000) + skewSeconds, NOW);
      return statusOf(federationDoctor(inputs({ skew: t.list() })), 'clock-skew');
    };
    expect(at(0)).toEqual([['lab/onprem-1', 'PASS']]);
    expect(at(-45)).toEqual([['lab/onprem-1', 'WARN']]);
    expect(at(200)).toEqual([['lab/onprem-1', 'FAIL']]);
    // The worst recent sample is kept after the clocks agree again…
    tracker.record('lab', 'onprem-1', Math.floor(NOW / 1000) + 45, NOW);
    tracker.record('lab', 'onprem-1', Math.floor(NOW / 1000) + 1, NOW + 1000);
    expect(tracker.list()[0]).toMatchObject({ maxSkewMs: 45_000, lastSkewMs: 0 });
    // …and forgotten once its window has passed.
    tracker.record('lab', 'onprem-1', Math.floor((NOW + 11 * 60_000) / 1000), NOW + 11 * 60_000);
    expect(tracker.list()[0]).toMatchObject({ maxSkewMs: 0 });
  });

  it('subscription runs: failed over maxFailed FAILs, expired WARNs', () => {
    const failed = inputs({ subscriptionRuns: [{ subscription: 'clients', failed: 2, expired: 0 }] });
    expect(statusOf(federationDoctor(failed), 'subscription-failed')).toEqual([['clients', 'FAIL']]);
    expect(
      statusOf(federationDoctor({ ...failed, config: config('{ maxFailed: 5 }') }), 'subscription-failed'),
    ).toEqual([['clients', 'PASS']]);
    const expired = inputs({ subscriptionRuns: [{ subscription: 'clients', failed: 0, expired: 1 }] });
    expect(statusOf(federationDoctor(expired), 'subscription-failed')).toEqual([['clients', 'WARN']]);
  });

  it('a missing key file FAILs (a shared secret, an Ed25519 private key, a TLS key); deliveries that expired before delivery WARN', () => {
    const r = federationDoctor(
      inputs({
        keyFile: () => ({ error: 'ENOENT' }),
        deliveries: [{ ...inputs().deliveries[0]!, expired: 3 }],
      }),
    );
    expect(statusOf(r, 'secret-file-mode')).toEqual([
      ['/etc/routerd/lab.key', 'FAIL'],
      ['/etc/routerd/node.key', 'FAIL'],
      ['/etc/routerd/cloud-1.tls.key', 'FAIL'],
    ]);
    expect(statusOf(r, 'delivery-expired')).toEqual([['onprem', 'WARN']]);
    expect(r.status).toBe('FAIL');
  });

  it('free space on the state filesystem: FAIL below 16 MiB, WARN below 64 MiB, WARN when unknown', () => {
    const at = (freeBytes: number) =>
      statusOf(
        federationDoctor(inputs({ stateDisk: { path: '/var/lib/routerd', freeBytes } })),
        'state-disk-space',
      );
    expect(at(15 * 1024 * 1024)).toEqual([['/var/lib/routerd', 'FAIL']]);
    expect(at(16 * 1024 * 1024)).toEqual([['/var/lib/routerd', 'WARN']]);
    expect(at(64 * 1024 * 1024)).toEqual([['/var/lib/routerd', 'PASS']]);
    const r = federationDoctor(inputs({ stateDisk: { path: '/var/lib/routerd', freeBytes: 1024 } }));
    expect(r.status).toBe('FAIL');
    expect(r.checks.find((c) => c.code === 'state-disk-space')).toMatchObject({
      summary: '0.0 MiB free (needs 16 MiB)',
      advice: expect.stringMatching(/^free space on this filesystem/),
    });
    const unknown = inputs({ stateDisk: { path: '/gone', error: 'ENOENT' } });
    expect(statusOf(federationDoctor(unknown), 'state-disk-space')).toEqual([['/gone', 'WARN']]);
  });

  it('requests-refused: the receiving side names the sender, the reason, the count and the fix', () => {
    const check = (refused: RefusedRequests, skew: ClockSkewTracker = new ClockSkewTracker()) =>
      federationDoctor(inputs({ refused: refused.list(NOW), skew: skew.list() })).checks.filter(
        (c) => c.code === 'requests-refused',
      );
    expect(check(new RefusedRequests())).toEqual([
      {
        code: 'requests-refused',
        status: 'PASS',
        subject: 'lab',
        summary: 'no request refused in the last 15 min',
      },
    ]);

    // A key that differs: FAIL naming the key; refusals older than the window are not counted.
    const key = new RefusedRequests();
    const refuse = (at: number, reason: 'signature' | 'timestamp' | 'wrong-group', sender = 'onprem-1') =>
      key.record({ group: 'lab', sender, reason, detail: `${reason} detail` }, at);
    refuse(NOW - 16 * 60_000, 'signature');
    for (const at of [NOW - 60_000, NOW - 30_000, NOW - 1000]) refuse(at, 'signature');
    const [signature] = check(key);
    expect(signature).toMatchObject({
      status: 'FAIL',
      subject: 'lab/onprem-1',
      summary: `onprem-1 cannot authenticate: 3 requests refused in the last 15 min (3 signature); the last at ${new Date(NOW - 1000).toISOString()}: signature detail`,
      advice: expect.stringMatching(
        /^the key, not the clock: onprem-1 signs with a key .*sha256sum.*nothing is lost/,
      ),
    });

    // A clock beyond the replay window: FAIL naming the clock, with the skew of the refused requests.
    const clock = new RefusedRequests();
    clock.record(
      { group: 'lab', sender: 'onprem-1', reason: 'timestamp', detail: 'webhook-timestamp is 600 s …' },
      NOW,
    );
    const skew = new ClockSkewTracker();
    skew.record('lab', 'onprem-1', Math.floor(NOW / 1000) - 600, NOW, false);
    expect(check(clock, skew)[0]).toMatchObject({
      status: 'FAIL',
      advice: expect.stringMatching(
        /^the clock, not the key: onprem-1's clock is 600s behind ours \(unauthenticated webhook-timestamp\), beyond the replay window \(300s\) — synchronise/,
      ),
    });

    // Fixed: a request from that sender was authenticated after the last refusal.
    key.authenticated('lab', 'onprem-1', NOW);
    expect(check(key)[0]).toMatchObject({
      status: 'PASS',
      summary: expect.stringMatching(/a request from onprem-1 was authenticated since/),
    });

    // Other refusals from a peer WARN; senders that are no peer WARN under "unknown", naming the claim.
    const other = new RefusedRequests();
    other.record(
      { group: 'lab', sender: 'onprem-1', reason: 'wrong-group', detail: 'event e1 is for group "x"' },
      NOW,
    );
    other.record(
      {
        group: 'lab',
        sender: UNKNOWN_SENDER,
        reason: 'unknown-sender',
        detail: 'no peer',
        claimed: 'onprem-2',
      },
      NOW,
    );
    const [wrongGroup, unknown] = check(other);
    expect(wrongGroup).toMatchObject({
      status: 'WARN',
      subject: 'lab/onprem-1',
      advice: expect.stringMatching(/wrong-group/),
    });
    expect(unknown).toMatchObject({
      status: 'WARN',
      subject: 'lab/unknown',
      summary: expect.stringMatching(
        /^from senders that are not peers of this group \(the last claimed routerd-node "onprem-2"\): 1 request refused/,
      ),
    });
  });

  it('clock-skew from refused requests is marked unauthenticated; a later authenticated sample wins; a stale one is dropped', () => {
    const skewOf = (t: ClockSkewTracker) =>
      federationDoctor(inputs({ skew: t.list() })).checks.filter((c) => c.code === 'clock-skew');
    const off = new ClockSkewTracker();
    off.record('lab', 'onprem-1', Math.floor(NOW / 1000) + 600, NOW, false);
    expect(skewOf(off)).toEqual([
      expect.objectContaining({
        status: 'FAIL',
        subject: 'lab/onprem-1',
        summary:
          "onprem-1's clock is 600s ahead of ours (unauthenticated: the webhook-timestamp of requests refused by the signature check), beyond the replay window (300s): its requests are refused",
        advice: expect.stringMatching(/a clock problem, not a key problem$/),
      }),
    ]);
    off.record('lab', 'onprem-1', Math.floor(NOW / 1000) + 1, NOW + 1000);
    expect(skewOf(off)).toEqual([
      expect.objectContaining({
        status: 'PASS',
        summary: expect.stringMatching(/^onprem-1's clock is 0s ahead of ours \(maxClockSkew 30s\)$/),
      }),
    ]);
    const stale = new ClockSkewTracker();
    stale.record('lab', 'onprem-1', Math.floor(NOW / 1000) + 600, NOW - 11 * 60_000, false);
    expect(skewOf(stale)).toEqual([
      expect.objectContaining({ status: 'PASS', summary: expect.stringMatching(/^no signed request/) }),
    ]);
  });

  it('peer-probe: PASS when the peer verified us; FAIL naming the key, the clock, or that it is unreachable', () => {
    const probed = (signedProbe: PeerProbeResult) =>
      federationDoctor(inputs({ peers: [{ ...inputs().peers[0]!, signedProbe }] })).checks.find(
        (c) => c.code === 'peer-probe',
      )!;
    expect(
      probed({ outcome: 'ok', node: 'onprem-1', keyFingerprint: '0123456789ab', clockOffsetMs: -1200 }),
    ).toEqual({
      code: 'peer-probe',
      status: 'PASS',
      subject: 'onprem',
      summary:
        'onprem verified our signature (key 0123456789ab) and answered as onprem-1; its clock is 1s behind ours',
    });
    expect(
      probed({ outcome: 'ok', node: 'onprem-1', keyFingerprint: 'k', clockOffsetMs: 45_000 }).status,
    ).toBe('WARN');
    expect(
      probed({ outcome: 'ok', node: 'onprem-1', keyFingerprint: 'k', clockOffsetMs: 200_000 }),
    ).toMatchObject({
      status: 'FAIL',
      summary: expect.stringMatching(/^clock off by 200s: /),
    });
    expect(probed({ outcome: 'key', detail: 'http 401: …', clockOffsetMs: 0 })).toMatchObject({
      status: 'FAIL',
      summary: 'peer refused our signature: keys differ (the clocks agree within 1s)',
      advice: expect.stringMatching(/^both routers must hold the same key .*requests-refused/),
    });
    expect(probed({ outcome: 'clock', detail: 'http 401: …', clockOffsetMs: 600_000 })).toMatchObject({
      status: 'FAIL',
      summary: expect.stringMatching(
        /^clock off by 600s: onprem's clock is ahead of ours \(its Date header\)/,
      ),
      advice: expect.stringMatching(/^synchronise the clocks .* not a key problem/),
    });
    expect(probed({ outcome: 'unreachable', detail: 'ECONNREFUSED' })).toMatchObject({
      status: 'FAIL',
      summary: 'unreachable: ECONNREFUSED',
    });
    expect(probed({ outcome: 'unsupported', detail: 'answered HTTP 404' }).status).toBe('WARN');
    expect(
      probed({ outcome: 'bad-answer', detail: 'the endpoint answers as node "x", not "onprem-1"' }).status,
    ).toBe('FAIL');
    // --no-probe: no signed probe, no check.
    const none = federationDoctor(inputs({ peers: [{ ...inputs().peers[0]!, signedProbe: undefined }] }));
    expect(none.checks.some((c) => c.code === 'peer-probe')).toBe(false);
  });

  it('a key file the daemon’s user cannot read FAILs naming the owner and the chown, whatever its mode', () => {
    const r = federationDoctor(
      inputs({
        keyFile: () => ({
          error: 'EACCES: permission denied',
          unreadable: { user: 'routerd', owner: 'root:root', mode: 0o100600, blockedBy: 'file' },
        }),
      }),
    );
    expect(r.checks.find((c) => c.code === 'secret-file-mode')).toEqual({
      code: 'secret-file-mode',
      status: 'FAIL',
      subject: '/etc/routerd/lab.key',
      summary:
        "the daemon's user routerd cannot read it: owned by root:root, mode 600 — the next start or reload fails (EACCES)",
      advice: expect.stringMatching(/^run: chown routerd: \/etc\/routerd\/lab.key /),
    });
    const dir = federationDoctor(
      inputs({
        keyFile: () => ({
          error: 'EACCES',
          unreadable: { user: 'routerd', owner: '?', mode: 0, blockedBy: 'directory' },
        }),
      }),
    );
    expect(dir.checks.find((c) => c.code === 'secret-file-mode')?.summary).toMatch(
      /a directory on its path is not searchable by routerd/,
    );
  });
});
