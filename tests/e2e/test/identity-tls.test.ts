// The TLS receiver and the sender's trust anchor per peer, between real daemons over loopback: a setup
// made by routerctl alone (keys generate --type ed25519, tls self-signed), mTLS with pinned client
// certificates, and every way a certificate can be wrong — another certificate, an expired one, another
// name, another CA — on both sides; TLS on top of the signature, never instead; a new certificate taken
// on SIGHUP while open connections carry on.
import { copyFileSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { parseEd25519PrivateText, sign } from '@routerd/host/keys';
import type { TestDaemon } from '@routerd/host/testing';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  controlGetText,
  daemonsPerTest,
  doctorReport,
  emitObservedWithRouterctl,
  findCheck,
  freePort,
  newRoot,
  reload,
  routerctl,
  routerctlJson,
  storedCount,
} from './support/federation.js';
import {
  type CertFiles,
  certificateAuthority,
  ed25519Key,
  expiredSelfSigned,
  type IdentityNode,
  selfSigned,
  selfSignedIssuedAt,
  writeIdentityNode,
} from './support/identity.js';
import { cloudEvent as ce, type Keys } from './support/receiver.js';

const daemons = daemonsPerTest();

let root: string;
let onpremKey: ReturnType<typeof ed25519Key>;
let cloudKey: ReturnType<typeof ed25519Key>;
let onpremKeys: Keys;
let cloudCert: CertFiles;
let onpremCert: CertFiles;
let strangerCert: CertFiles;
let expiredClient: CertFiles;
let ports: { onprem: number; cloud: number };
/** Each test's node directories (configs, stores): the keys and certificates are shared under root. */
let nodes: string;
beforeEach(() => {
  nodes = newRoot();
});

beforeAll(async () => {
  root = newRoot();
  // The self-signed setup of the how-to: two routerctl commands per node.
  onpremKey = ed25519Key(root, 'onprem');
  cloudKey = ed25519Key(root, 'cloud');
  cloudCert = selfSigned(root, 'cloud');
  onpremCert = selfSigned(root, 'onprem');
  strangerCert = selfSigned(root, 'stranger');
  expiredClient = expiredSelfSigned(root, 'onprem-old');
  onpremKeys = parseEd25519PrivateText(readFileSync(onpremKey.privateKeyFile, 'utf8'));
  ports = { onprem: await freePort(), cloud: await freePort() };
});

/** cloud serving TLS from its own copy of `served`, requiring a client certificate pinned to onprem's. */
function cloudNode(served: CertFiles = cloudCert): IdentityNode {
  copyFileSync(served.certFile, `${root}/cloud-served.crt`);
  copyFileSync(served.keyFile, `${root}/cloud-served.key`);
  return {
    name: 'cloud',
    port: ports.cloud,
    auth: { mode: 'ed25519', privateKeyFile: cloudKey.privateKeyFile },
    listenTls: {
      certFile: `${root}/cloud-served.crt`,
      keyFile: `${root}/cloud-served.key`,
      // The expired one too: refused for its dates, not for a missing pin.
      clientAuth: { pinnedSha256: [onpremCert.fingerprint, expiredClient.fingerprint] },
    },
    peers: [{ name: 'onprem', port: ports.onprem, auth: { publicKeyFile: onpremKey.publicKeyFile } }],
  };
}

/** onprem sending to cloud over https, trusting `tls` (its client certificate added). */
function onpremNode(tls: Record<string, unknown> = { pinnedSha256: [cloudCert.fingerprint] }): IdentityNode {
  return {
    name: 'onprem',
    port: ports.onprem,
    auth: { mode: 'ed25519', privateKeyFile: onpremKey.privateKeyFile },
    peers: [
      {
        name: 'cloud',
        port: ports.cloud,
        https: true,
        auth: { publicKeyFile: cloudKey.publicKeyFile },
        tls: { ...tls, certFile: onpremCert.certFile, keyFile: onpremCert.keyFile },
      },
    ],
  };
}

async function startPair(cloudServes: CertFiles = cloudCert, trust?: Record<string, unknown>) {
  const cloud = await daemons.start(writeIdentityNode(nodes, cloudNode(cloudServes)));
  const onprem = await daemons.start(writeIdentityNode(nodes, onpremNode(trust)));
  return { cloud, onprem };
}

type PeerRow = { peer: string; state: string; lastError: string | null };
const peerOf = (d: TestDaemon) => routerctlJson<PeerRow[]>(d.stateDir, 'federation', 'peers')[0]!;

/** Emit one event on onprem and ask for a delivery now: its outcome shows in the peer's last error. */
async function sendOne(onprem: TestDaemon, address: string): Promise<void> {
  expect(emitObservedWithRouterctl(onprem.stateDir, address).code).toBe(0);
  routerctl(onprem.stateDir, 'federation', 'peers', 'retry', 'cloud');
}

interface Answer {
  status?: number;
  /** The connection failed before an answer (refused handshake, closed for a client certificate). */
  error?: string;
  peerFingerprint?: string;
  reused?: boolean;
}

/** A signed POST to cloud's receiver, over TLS, with `client` as the client certificate (or none). */
function post(o: { client?: CertFiles; keys?: Keys; agent?: Agent; body?: string } = {}): Promise<Answer> {
  const body = Buffer.from(o.body ?? JSON.stringify([ce()]));
  const headers = {
    ...sign(o.keys ?? onpremKeys, `w-${Math.random().toString(36).slice(2)}`, Date.now() / 1000, body),
    'routerd-node': 'onprem',
    'content-type': 'application/cloudevents-batch+json',
    'content-length': String(body.length),
  };
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: ports.cloud,
        path: '/v1/events',
        method: 'POST',
        headers,
        // The test is the client of the receiver under test: what it trusts is not the point here.
        rejectUnauthorized: false,
        ...(o.agent ? { agent: o.agent } : { agent: false }),
        ...(o.client ? { cert: readFileSync(o.client.certFile), key: readFileSync(o.client.keyFile) } : {}),
      },
      (res) => {
        res.resume();
        const socket = res.socket as TLSSocket;
        const fp = socket.getPeerCertificate().fingerprint256;
        res.on('end', () =>
          resolve({ status: res.statusCode, peerFingerprint: fp, reused: req.reusedSocket }),
        );
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end(body);
  });
}

const refusedCount = async (d: TestDaemon, reason: string) => {
  const m = new RegExp(`routerd_receiver_refused_total\\{reason="${reason}"\\} (\\d+)`).exec(
    await controlGetText(d.stateDir, '/metrics'),
  );
  return Number(m?.[1] ?? 0);
};

describe('TLS receiver with client certificates (mTLS), real daemons', () => {
  it('delivers over TLS with pinned certificates both ways, every request still signed', async () => {
    const { cloud, onprem } = await startPair();
    await sendOne(onprem, '10.88.60.1/32');
    await expect.poll(() => storedCount(cloud.stateDir), { timeout: 10_000 }).toBe(1);
    expect(peerOf(onprem)).toMatchObject({ state: 'healthy', lastError: null });
    expect(cloud.logs.find((l) => l.msg === 'receiver listening')).toMatchObject({
      tls: true,
      clientAuth: true,
    });
  });

  it('refuses, before any HTTP, a client without a certificate, with another one or an expired one; plain HTTP fails the handshake', async () => {
    const cloud = await daemons.start(writeIdentityNode(nodes, cloudNode()));
    for (const client of [undefined, strangerCert, expiredClient]) {
      const answer = await post(client ? { client } : {});
      expect(answer.status, JSON.stringify(answer)).toBeUndefined();
      expect(answer.error).toMatch(/ECONNRESET|EPIPE|socket hang up/);
    }
    await expect.poll(() => refusedCount(cloud, 'client-certificate')).toBe(3);
    const line = cloud.logs.find((l) => l.reason === 'client-certificate');
    expect(String(line?.detail)).toMatch(
      /client certificate from 127\.0\.0\.1 refused: no certificate was presented/,
    );
    await expect(fetch(`http://127.0.0.1:${ports.cloud}/v1/health`)).rejects.toThrow();
    await expect.poll(() => refusedCount(cloud, 'tls-handshake')).toBe(1);
    expect(await storedCount(cloud.stateDir)).toBe(0);
  });

  it('TLS is in addition to the signature: the right certificate with a wrong signature is 401', async () => {
    const cloud = await daemons.start(writeIdentityNode(nodes, cloudNode()));
    const stranger = parseEd25519PrivateText(
      readFileSync(ed25519Key(root, 'stranger').privateKeyFile, 'utf8'),
    );
    expect(await post({ client: onpremCert, keys: stranger })).toMatchObject({ status: 401 });
    expect(await post({ client: onpremCert })).toMatchObject({ status: 200 });
    expect(await storedCount(cloud.stateDir)).toBe(1);
  });

  it('the sender refuses a receiver with another certificate, an expired one, another name or another CA: nothing is sent', async () => {
    const ca = certificateAuthority(`${root}/ca`, 'lab');
    const otherCa = certificateAuthority(`${root}/other-ca`, 'elsewhere');
    const expired = expiredSelfSigned(root, 'cloud-old');
    const cases: [string, CertFiles, Record<string, unknown>, RegExp][] = [
      [
        'another certificate',
        strangerCert,
        { pinnedSha256: [cloudCert.fingerprint] },
        /is not one of the 1 pinned \(CERT_NOT_PINNED\)/,
      ],
      [
        'an expired certificate',
        expired,
        { pinnedSha256: [expired.fingerprint] },
        /expired on .*2020.*\(CERT_HAS_EXPIRED\)/,
      ],
      [
        'another name',
        ca.issue('cloud'),
        { caFile: ca.caFile, serverName: 'cloud-2.lab' },
        /is not for cloud-2\.lab/,
      ],
      [
        'another CA',
        otherCa.issue('cloud'),
        { caFile: ca.caFile },
        /not issued by the configured CA \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/,
      ],
    ];
    for (const [name, served, trust, why] of cases) {
      const { cloud, onprem } = await startPair(served, trust);
      await sendOne(onprem, '10.88.60.2/32');
      await expect
        .poll(() => peerOf(onprem).lastError ?? '', { timeout: 10_000, message: name })
        .toMatch(why);
      expect(peerOf(onprem).lastError, name).toMatch(
        /^the TLS certificate of 127\.0\.0\.1:\d+ is not trusted/,
      );
      expect(await storedCount(cloud.stateDir), name).toBe(0);
      // No HTTP request reached the receiver: the sender hung up once the handshake showed the certificate
      // (the receiver logs that hang-up as a tls-handshake refusal, nothing else).
      expect(
        cloud.logs.filter((l) => l.msg === 'request refused' && l.reason !== 'tls-handshake'),
        name,
      ).toEqual([]);
      await daemons.stop(onprem);
      await daemons.stop(cloud);
    }
    // The right name under the right CA: delivered — and the four events kept pending meanwhile with it.
    const good = ca.issue('cloud-right');
    const { cloud, onprem } = await startPair(good, { caFile: ca.caFile, serverName: 'cloud-right' });
    await sendOne(onprem, '10.88.60.3/32');
    await expect.poll(() => storedCount(cloud.stateDir), { timeout: 10_000 }).toBe(cases.length + 1);
  }, 180_000);

  it('a served certificate past its end, or near it: the doctor (tls-certificate) and the log of each start and reload say so', async () => {
    const stale = expiredSelfSigned(root, 'cloud-stale');
    const { cloud, onprem } = await startPair(stale, { pinnedSha256: [stale.fingerprint] });
    const served = `${root}/cloud-served.crt`;
    const atCloud = doctorReport(cloud.stateDir);
    expect(atCloud.code).toBe(1);
    const expired =
      "CN=cloud-stale expired on 2020-01-31: peers refuse the certificate EventGroup edge's receiver serves: nothing they send reaches this node";
    expect(atCloud.report.checks.filter((c) => c.code === 'tls-certificate')).toEqual([
      {
        code: 'tls-certificate',
        status: 'FAIL',
        subject: served,
        summary: expired,
        advice: expect.stringMatching(/^renew it \(routerctl tls self-signed /),
      },
    ]);
    expect(cloud.logs.filter((l) => l.msg === 'a TLS certificate is out of its dates')).toEqual([
      expect.objectContaining({ file: served, problem: expired }),
    ]);
    // onprem's own client certificate is in its dates (its peer is pinned: there is no CA file to read).
    expect(doctorReport(onprem.stateDir).report.checks.filter((c) => c.code === 'tls-certificate')).toEqual([
      {
        code: 'tls-certificate',
        status: 'PASS',
        subject: onpremCert.certFile,
        summary: expect.stringMatching(/^CN=onprem valid until \d{4}-\d{2}-\d{2}$/),
      },
    ]);
    // A renewal that is itself near its end (issued 20 days ago for 30): taken on SIGHUP, and flagged.
    const soon = selfSignedIssuedAt(root, 'cloud-soon', '-20d', 30);
    copyFileSync(soon.certFile, served);
    copyFileSync(soon.keyFile, `${root}/cloud-served.key`);
    await reload(cloud);
    expect(cloud.logs.filter((l) => l.msg === 'a TLS certificate needs renewing')).toEqual([
      expect.objectContaining({
        file: served,
        problem: expect.stringMatching(
          /^CN=cloud-soon expires on \d{4}-\d{2}-\d{2} \(in 1[01] days\): then peers refuse/,
        ),
      }),
    ]);
    // Logged before the line a reloader waits for, so that it has them when it sees that line.
    const at = (msg: string) => cloud.logs.findLastIndex((l) => l.msg === msg);
    expect(at('a TLS certificate needs renewing')).toBeLessThan(at('config reloaded'));
    expect(at('a TLS certificate is out of its dates')).toBeLessThan(at('routerd-eventd ready'));
    expect(findCheck(doctorReport(cloud.stateDir).report, 'tls-certificate', served).status).toBe('WARN');
  });

  it('SIGHUP takes a new certificate without dropping open connections', async () => {
    const cloud = await daemons.start(writeIdentityNode(nodes, cloudNode()));
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const first = await post({ client: onpremCert, agent });
    expect(first).toMatchObject({ status: 200, reused: false });
    expect(first.peerFingerprint).toBe(cloudCert.fingerprint);
    const renewed = selfSigned(root, 'cloud-renewed');
    writeIdentityNode(nodes, cloudNode(renewed));
    await reload(cloud);
    // The connection opened before the reload carries on…
    expect(await post({ client: onpremCert, agent })).toMatchObject({
      status: 200,
      reused: true,
      peerFingerprint: cloudCert.fingerprint,
    });
    // …and a new one gets the new certificate.
    expect(await post({ client: onpremCert })).toMatchObject({
      status: 200,
      peerFingerprint: renewed.fingerprint,
    });
    agent.destroy();
  });
});
