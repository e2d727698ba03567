// Every forged, tampered, replayed and impersonated request against a real cloud daemon, for both
// signature schemes: HMAC with a secret per peer, and Ed25519 with each node's own key (the public keys
// listed per EventPeer). And what per-node identity changes: with one HMAC group key any member signs as
// any other; with Ed25519 no member can, and no secret leaves a node.
import { readFileSync } from 'node:fs';
import { parseEd25519PrivateText, parseSecretText } from '@routerd/host/keys';
import { TestDaemon } from '@routerd/host/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  controlGetText,
  doctorReport,
  emitObservedWithRouterctl,
  freePort,
  keyFile,
  newRoot,
  storedCount,
} from './support/federation.js';
import { ed25519Key, type GroupAuth, type PeerAuth, writeIdentityNode } from './support/identity.js';
import { cloudEvent as ce, type Keys, postSigned } from './support/receiver.js';

type Scheme = 'hmac' | 'ed25519';

/** A node's signing material as the scheme has it: what goes in its own config, what its peers list. */
function identity(scheme: Scheme, dir: string, name: string) {
  if (scheme === 'hmac') {
    // A secret per pair (cloud ↔ name): both sides hold it.
    const secretFile = keyFile(dir, `${name}-cloud.key`);
    const keys = parseSecretText(readFileSync(secretFile, 'utf8'));
    return { keys: keys as Keys, listed: { secretFile } as PeerAuth, own: undefined };
  }
  const k = ed25519Key(dir, name);
  const keys = parseEd25519PrivateText(readFileSync(k.privateKeyFile, 'utf8'));
  return {
    keys: keys as Keys,
    listed: { publicKeyFile: k.publicKeyFile } as PeerAuth,
    own: { mode: 'ed25519', privateKeyFile: k.privateKeyFile } as GroupAuth,
  };
}

describe.each(['hmac', 'ed25519'] as const)('forged, replayed and impersonated requests (%s)', (scheme) => {
  let cloud: TestDaemon;
  let url: string;
  let onprem: Keys;
  let other: Keys;
  let stranger: Keys;

  beforeAll(async () => {
    const root = newRoot();
    const o = identity(scheme, root, 'onprem');
    const x = identity(scheme, root, 'other');
    const c = identity(scheme, root, 'cloud');
    // Someone with a key of the right form that no config lists.
    stranger = identity(scheme, root, 'stranger').keys;
    onprem = o.keys;
    other = x.keys;
    const port = await freePort();
    const node = writeIdentityNode(root, {
      name: 'cloud',
      port,
      auth: c.own ?? { mode: 'hmac', secretFile: keyFile(root, 'unused-group.key') },
      peers: [
        { name: 'onprem', port: await freePort(), auth: o.listed },
        { name: 'other', port: await freePort(), auth: x.listed },
      ],
    });
    cloud = await TestDaemon.start({ configFiles: [node.config], stateDir: node.stateDir });
    url = `http://127.0.0.1:${port}/v1/events`;
  });
  afterAll(() => cloud?.stop());

  const send = (
    keys: Keys,
    body: string,
    o: { node?: string; ts?: number; id?: string; wire?: Buffer } = {},
  ) => postSigned(url, { keys, body, ...o });

  async function refusedStoringNothing(call: () => ReturnType<typeof send>, status: number, code: string) {
    const before = await storedCount(cloud.stateDir);
    const res = await call();
    expect(res.status, res.text).toBe(status);
    expect(res.body?.error?.code).toBe(code);
    expect(await storedCount(cloud.stateDir)).toBe(before);
  }

  it('accepts a request signed by the node it names', async () => {
    const e = ce();
    expect(await send(onprem, JSON.stringify([e]))).toMatchObject({
      status: 200,
      body: { accepted: [e.id] },
    });
  });

  it('forged: signed with a key no peer is configured with', () =>
    refusedStoringNothing(() => send(stranger, JSON.stringify([ce()])), 401, 'unauthorized'));

  it('tampered: the body changed after signing', () => {
    const signed = JSON.stringify([ce()]);
    const tampered = Buffer.from(signed.replace('10.88.60.', '10.88.61.'));
    return refusedStoringNothing(() => send(onprem, signed, { wire: tampered }), 401, 'unauthorized');
  });

  it('replayed inside the window: answered as duplicates, nothing processed again', async () => {
    const body = JSON.stringify([ce()]);
    const id = `replay-${scheme}`;
    expect((await send(onprem, body, { id })).status).toBe(200);
    const before = await storedCount(cloud.stateDir);
    expect(await send(onprem, body, { id })).toMatchObject({ status: 200, body: { replay: true } });
    expect(await storedCount(cloud.stateDir)).toBe(before);
  });

  it('replayed after the window: a captured request re-sent later is refused', () =>
    refusedStoringNothing(
      () => send(onprem, JSON.stringify([ce()]), { ts: Date.now() / 1000 - 400 }),
      401,
      'unauthorized',
    ));

  it('impersonated: a member signing as another node (its routerd-node) with its own key', () =>
    refusedStoringNothing(
      () => send(other, JSON.stringify([ce()]), { node: 'onprem' }),
      401,
      'unauthorized',
    ));

  it("impersonated: a member signing as itself for another node's events", () =>
    refusedStoringNothing(() => send(other, JSON.stringify([ce()]), { node: 'other' }), 403, 'wrong-source'));

  it('counts each refusal by reason in routerd_receiver_refused_total', async () => {
    const text = await controlGetText(cloud.stateDir, '/metrics');
    for (const [reason, n] of [
      ['signature', 3],
      ['timestamp', 1],
      ['wrong-source', 1],
    ] as const)
      expect(text).toContain(`routerd_receiver_refused_total{reason="${reason}"} ${n}`);
  });
});

describe('what per-node identity changes', () => {
  it('with one HMAC group key a member can sign as another; with Ed25519 it cannot', async () => {
    const root = newRoot();
    // The group key every member holds: `other` has it too.
    const groupKey = keyFile(root, 'group.key');
    const port = await freePort();
    const node = writeIdentityNode(root, {
      name: 'cloud',
      port,
      auth: { mode: 'hmac', secretFile: groupKey },
      peers: [
        { name: 'onprem', port: await freePort() },
        { name: 'other', port: await freePort() },
      ],
    });
    const cloud = await TestDaemon.start({ configFiles: [node.config], stateDir: node.stateDir });
    try {
      const asOnprem = ce();
      const res = await postSigned(`http://127.0.0.1:${port}/v1/events`, {
        keys: parseSecretText(readFileSync(groupKey, 'utf8')),
        body: JSON.stringify([asOnprem]),
        node: 'onprem',
      });
      // Accepted as onprem's, although `other` signed it: the gap Ed25519 closes (previous describe).
      expect(res).toMatchObject({ status: 200, body: { accepted: [asOnprem.id] } });
    } finally {
      await cloud.stop();
    }
  });

  it('two daemons with Ed25519 keys made by routerctl: delivered, and each probe verified both ways', async () => {
    const root = newRoot();
    const o = ed25519Key(root, 'onprem');
    const c = ed25519Key(root, 'cloud');
    const [po, pc] = [await freePort(), await freePort()];
    const onpremNode = writeIdentityNode(root, {
      name: 'onprem',
      port: po,
      auth: { mode: 'ed25519', privateKeyFile: o.privateKeyFile },
      peers: [{ name: 'cloud', port: pc, auth: { publicKeyFile: c.publicKeyFile } }],
    });
    const cloudNode = writeIdentityNode(root, {
      name: 'cloud',
      port: pc,
      auth: { mode: 'ed25519', privateKeyFile: c.privateKeyFile },
      peers: [{ name: 'onprem', port: po, auth: { publicKeyFile: o.publicKeyFile } }],
    });
    const cloud = await TestDaemon.start({ configFiles: [cloudNode.config], stateDir: cloudNode.stateDir });
    const onprem = await TestDaemon.start({
      configFiles: [onpremNode.config],
      stateDir: onpremNode.stateDir,
    });
    try {
      expect(emitObservedWithRouterctl(onprem.stateDir, '10.88.60.7/32').code).toBe(0);
      await expect.poll(() => storedCount(cloud.stateDir), { timeout: 10_000 }).toBe(1);
      for (const [d, peer] of [
        [onprem, 'cloud'],
        [cloud, 'onprem'],
      ] as const) {
        const { report } = doctorReport(d.stateDir);
        const probe = report.checks.find((x) => x.code === 'peer-probe' && x.subject === peer);
        expect(probe, JSON.stringify(report.checks)).toMatchObject({ status: 'PASS' });
        expect(report.checks.filter((x) => x.code === 'key-file').map((x) => x.status)).toEqual([
          'PASS',
          'PASS',
        ]);
      }
    } finally {
      await onprem.stop();
      await cloud.stop();
    }
  });
});
