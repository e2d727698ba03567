// routerctl keys (both key types) and tls self-signed, as the real binary: the files they write (modes,
// formats the daemon reads), what they print, and every bad input refused with the option named.
import { spawnSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '@routerd/host/testing';
import { parseEd25519PrivateText, parseEd25519PublicText, publicLine } from '@routerd/host-wire/keys';
import { describe, expect, it } from 'vitest';

const ROUTERCTL = fileURLToPath(new URL('../dist/routerctl.js', import.meta.url));
const routerctl = (...args: string[]) => {
  const r = spawnSync(process.execPath, [ROUTERCTL, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('routerctl keys --type ed25519', () => {
  it('writes a 0600 whsk_ file and prints its whpk_ lines; --rotate puts the new key first; keys public agrees', () => {
    const file = join(tempDir('keys-'), 'node.key');
    const first = routerctl('keys', 'generate', '--type', 'ed25519', '--out', file);
    expect(first.code, first.stderr).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const [key] = parseEd25519PrivateText(readFileSync(file, 'utf8'));
    expect(first.stdout).toBe(`${publicLine(key!)}\n`);
    const rotated = routerctl('keys', 'generate', '--type', 'ed25519', '--out', file, '--rotate');
    const lines = rotated.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe(publicLine(key!));
    expect(parseEd25519PublicText(rotated.stdout)).toHaveLength(2);
    expect(routerctl('keys', 'public', file).stdout).toBe(rotated.stdout);
  });

  it('refuses to rotate a file of the other type, and prints no public key for a shared secret', () => {
    const file = join(tempDir('keys-'), 'pair.key');
    expect(routerctl('keys', 'generate', '--out', file).code).toBe(0);
    const r = routerctl('keys', 'generate', '--type', 'ed25519', '--out', file, '--rotate');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/pair\.key:1: expected whsk_ followed by base64 of 32 bytes/);
    expect(routerctl('keys', 'public', file).stderr).toMatch(/pair\.key:1: expected whsk_/);
    expect(routerctl('keys', 'generate', '--type', 'rsa').stderr).toMatch(/--type/);
  });
});

describe('routerctl tls self-signed', () => {
  it('writes a certificate for the name and addresses, a 0600 key, and prints the fingerprint to pin', () => {
    const dir = tempDir('tls-');
    const [cert, key] = [join(dir, 'n.crt'), join(dir, 'n.key')];
    const r = routerctl(
      'tls',
      'self-signed',
      '--name',
      'cloud-1',
      '--ip',
      '169.254.10.2',
      '--cert',
      cert,
      '--key',
      key,
    );
    expect(r.code, r.stderr).toBe(0);
    const x509 = new X509Certificate(readFileSync(cert));
    expect(r.stdout).toBe(`${x509.fingerprint256}\n`);
    expect(x509.subjectAltName).toBe('DNS:cloud-1, IP Address:169.254.10.2');
    // The key file is the certificate's own.
    expect(x509.checkPrivateKey(createPrivateKey(readFileSync(key)))).toBe(true);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(routerctl('tls', 'self-signed', '--name', 'cloud-1', '--cert', cert, '--key', key).stderr).toMatch(
      /n\.crt exists: use --force to replace it/,
    );
  });

  it('refuses a name that is not a DNS name and an address that is not an IP, writing nothing', () => {
    const dir = tempDir('tls-');
    const cert = join(dir, 'n.crt');
    expect(
      routerctl('tls', 'self-signed', '--name', 'a b', '--cert', cert, '--key', join(dir, 'k')).stderr,
    ).toMatch(/--name "a b" is not a DNS name/);
    expect(
      routerctl(
        'tls',
        'self-signed',
        '--name',
        'n',
        '--ip',
        '300.1.1.1',
        '--cert',
        cert,
        '--key',
        join(dir, 'k'),
      ).stderr,
    ).toMatch(/--ip "300\.1\.1\.1" is not an IP address/);
    expect(() => statSync(cert)).toThrow();
  });
});
