// An Ed25519 key rotation as docs/how-to/deploy.md writes it, between two real daemons while events
// flow: the doctor on the receiving side warns while the peer is about to be rotated out, and nothing is
// refused or lost on the way.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  controlGetText,
  daemonsPerTest,
  doctorReport,
  emitBatch,
  findCheck,
  freePort,
  newRoot,
  observed,
  reload,
  routerctl,
  storedCount,
} from './support/federation.js';
import { ed25519Key, writeIdentityNode } from './support/identity.js';

const daemons = daemonsPerTest();
let stopStream = () => {};
afterEach(() => stopStream());

const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

describe('Ed25519 key rotation without a gap', () => {
  it('mark the old key, list the new one, rotate on the sender, drop the old: the doctor follows, nothing is refused or lost', async () => {
    const root = newRoot();
    const o = ed25519Key(root, 'onprem');
    const c = ed25519Key(root, 'cloud');
    // cloud's copy of onprem's public keys: the file its EventPeer names.
    const listed = join(root, 'onprem-as-seen-by-cloud.pub');
    const [oldLine] = readFileSync(o.publicKeyFile, 'utf8').trim().split('\n');
    writeFileSync(listed, `${oldLine}\n`);
    const [po, pc] = [await freePort(), await freePort()];
    const cloud = await daemons.start(
      writeIdentityNode(root, {
        name: 'cloud',
        port: pc,
        auth: { mode: 'ed25519', privateKeyFile: c.privateKeyFile },
        peers: [{ name: 'onprem', port: po, auth: { publicKeyFile: listed } }],
      }),
    );
    const onprem = await daemons.start(
      writeIdentityNode(root, {
        name: 'onprem',
        port: po,
        auth: { mode: 'ed25519', privateKeyFile: o.privateKeyFile },
        peers: [{ name: 'cloud', port: pc, auth: { publicKeyFile: c.publicKeyFile } }],
      }),
    );

    // Events all along, through the control API.
    let emitted = 0;
    const timer = setInterval(() => {
      void emitBatch(onprem.socketPath, [observed(emitted++)]);
    }, 100);
    stopStream = () => {
      streaming = false;
      clearInterval(timer);
    };
    const rotation = () =>
      findCheck(doctorReport(cloud.stateDir, '--no-probe').report, 'peer-key-rotation', 'onprem');
    // Waits for an event emitted after the call, so at least one request was verified under the
    // configuration now loaded (the doctor reads which key verified the last one); once the stream
    // has stopped, for everything emitted.
    let streaming = true;
    const delivered = async () => {
      const n = streaming ? emitted + 1 : emitted;
      await expect.poll(() => storedCount(cloud.stateDir), { timeout: 15_000 }).toBeGreaterThanOrEqual(n);
    };
    await delivered();
    expect(rotation()).toMatchObject({ status: 'PASS' });

    // 1. cloud gives the old key an end: nothing follows it yet.
    writeFileSync(listed, `${oldLine} notAfter=${inDays(3)}\n`);
    await reload(cloud);
    expect(rotation()).toMatchObject({
      status: 'WARN',
      summary: expect.stringMatching(
        /^every public key listed for onprem is rotated out by .* no later key is listed/,
      ),
    });

    // 2. onprem makes its new key (first line; it signs with both) and hands over the public lines.
    const r = routerctl(root, 'keys', 'generate', '--type', 'ed25519', '--out', o.privateKeyFile, '--rotate');
    expect(r.code, r.stderr).toBe(0);
    const [newLine, old] = r.stdout.trim().split('\n');
    expect(old).toBe(oldLine);
    await reload(onprem);

    // 3. cloud lists the new key beside the old one; onprem already signs with it: all is well.
    writeFileSync(listed, `${newLine}\n${oldLine} notAfter=${inDays(3)}\n`);
    await reload(cloud);
    await delivered();
    expect(rotation()).toMatchObject({
      status: 'PASS',
      summary: expect.stringMatching(/has a later key listed and signs with [0-9a-f]{12}$/),
    });

    // 4. The old key goes: from onprem's private key file, then from cloud's list.
    writeFileSync(o.privateKeyFile, `${readFileSync(o.privateKeyFile, 'utf8').split('\n')[0]}\n`);
    await reload(onprem);
    await delivered();
    writeFileSync(listed, `${newLine}\n`);
    await reload(cloud);
    await delivered();
    stopStream();
    await delivered();

    expect(await storedCount(cloud.stateDir)).toBe(emitted);
    const metrics = await controlGetText(cloud.stateDir, '/metrics');
    expect(metrics).not.toMatch(/routerd_receiver_refused_total\{reason="signature"\}/);
    expect(rotation()).toMatchObject({ status: 'PASS' });
  }, 120_000);
});
