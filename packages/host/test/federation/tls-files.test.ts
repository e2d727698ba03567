// TLS files are read at start and at each reload before anything is swapped: a missing file or a private
// key others can read refuses the start (or the reload), naming the resource, the field and the fix.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPeerTls } from '../../src/federation/peer-tls.js';
import { loadReceiverTls } from '../../src/federation/receiver-tls.js';
import { tempDir } from '../../src/testing/index.js';

const dir = tempDir('tls-files-');
const cert = join(dir, 'c.crt');
const key = join(dir, 'c.key');
writeFileSync(cert, '-----BEGIN CERTIFICATE-----\n');
writeFileSync(key, '-----BEGIN PRIVATE KEY-----\n', { mode: 0o600 });

describe('TLS files', () => {
  it('names the resource and field of a file that cannot be read', () => {
    expect(() =>
      loadReceiverTls({ certFile: join(dir, 'nope.crt'), keyFile: key }, 'EventGroup/lab'),
    ).toThrow(`cannot read EventGroup/lab listen.tls.certFile ${dir}/nope.crt: no such file`);
    expect(() => loadPeerTls({ caFile: join(dir, 'ca.pem') }, 'EventPeer/cloud')).toThrow(
      `cannot read EventPeer/cloud tls.caFile ${dir}/ca.pem: no such file`,
    );
  });

  it('refuses a private key that group or others can read, with the chmod to run', () => {
    const open = join(dir, 'open.key');
    writeFileSync(open, 'k');
    chmodSync(open, 0o644);
    expect(() => loadReceiverTls({ certFile: cert, keyFile: open }, 'EventGroup/lab')).toThrow(
      `EventGroup/lab listen.tls.keyFile ${open} is readable by group or others (mode 644); run: chmod 600 ${open}`,
    );
    expect(() =>
      loadPeerTls({ pinnedSha256: ['ab'.repeat(32)], certFile: cert, keyFile: open }, 'EventPeer/cloud'),
    ).toThrow(/^EventPeer\/cloud tls\.keyFile .* is readable by group or others/);
  });

  it('normalises pinned fingerprints: openssl colons and upper case, or plain hex', () => {
    const ctx = loadPeerTls({ pinnedSha256: [`${'AB:'.repeat(31)}AB`, 'CD'.repeat(32)] }, 'EventPeer/cloud');
    expect(ctx.trust).toEqual({ pins: ['ab'.repeat(32), 'cd'.repeat(32)] });
  });
});
