// The doctor's judgement, as a pure function: thresholds per group, clock skew, subscription failures,
// lag — the cases the real-daemon tests in @routerd/cli do not reach without waiting minutes.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type FederationConfig, loadConfig } from '../../src/config/index.js';
import { type DoctorInputs, federationDoctor } from '../../src/doctor/federation.js';
import { ClockSkewTracker } from '../../src/federation/clock-skew.js';

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
    fileMode: () => 0o100600,
    stateDisk: { path: '/var/lib/routerd', freeBytes: 512 * 1024 * 1024 },
    ...over,
  };
}

const statusOf = (r: ReturnType<typeof federationDoctor>, code: string) =>
  r.checks.filter((c) => c.code === code).map((c) => [c.subject, c.status]);

describe('federationDoctor', () => {
  it('all PASS when all is well; every code appears', () => {
    const r = federationDoctor(inputs());
    expect(r.status).toBe('PASS');
    expect(new Set(r.checks.map((c) => c.code))).toEqual(
      new Set([
        'peer-reachable',
        'delivery-backlog',
        'delivery-lag',
        'delivery-failed',
        'delivery-expired',
        'subscription-failed',
        'plugin-degraded',
        'clock-skew',
        'secret-file-mode',
        'listen-address',
        'state-disk-space',
      ]),
    );
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

  it('a missing key file FAILs; deliveries that expired before delivery WARN', () => {
    const r = federationDoctor(
      inputs({
        fileMode: () => ({ error: 'ENOENT' }),
        deliveries: [{ ...inputs().deliveries[0]!, expired: 3 }],
      }),
    );
    expect(statusOf(r, 'secret-file-mode')).toEqual([['/etc/routerd/lab.key', 'FAIL']]);
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
});
