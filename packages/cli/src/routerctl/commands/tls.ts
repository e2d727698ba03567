/**
 * routerctl tls self-signed: a node's TLS certificate and key for listen.tls (and as its client
 * certificate), made by the openssl CLI — node:crypto parses certificates but cannot issue one, and
 * openssl is on every router already, where an X.509 library would be a dependency of routerctl — and its
 * SHA-256 fingerprint, which the peers pin (EventPeer tls.pinnedSha256, listen.tls.clientAuth.pinnedSha256).
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, join } from 'node:path';
import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { RouterctlCommand } from '../base-command.js';

const NAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export class TlsSelfSignedCommand extends RouterctlCommand {
  static override paths = [['tls', 'self-signed']];
  static override usage = Command.Usage({
    category: 'tls',
    description:
      "make this node's self-signed TLS certificate and key (ECDSA P-256) and print the fingerprint its peers pin",
    details: `
      Writes --cert (the certificate, PEM) and --key (its private key, PEM, mode 0600), for the EventGroup's
      listen.tls.certFile and keyFile — and for EventPeer tls.certFile and keyFile when peers ask for a
      client certificate. The certificate names --name (a DNS name) and each --ip address; the SHA-256
      fingerprint printed on stdout is what each peer writes under its EventPeer tls.pinnedSha256 (and, for
      client certificates, under listen.tls.clientAuth.pinnedSha256). Needs the openssl command.

      TLS is in addition to the signature of every request, never instead of it; over a WireGuard overlay
      (the default deployment) plain http:// needs no certificate at all.
    `,
    examples: [
      [
        'A certificate for cloud-1 at its overlay address',
        '$0 tls self-signed --name cloud-1 --ip 169.254.10.2 --cert /etc/routerd/tls/cloud-1.crt --key /etc/routerd/tls/cloud-1.key',
      ],
    ],
  });
  name = Option.String('--name', { required: true, description: 'the DNS name the certificate is for' });
  ips = Option.Array('--ip', [], { description: 'an IP address the certificate is for (repeatable)' });
  cert = Option.String('--cert', { required: true, description: 'write the certificate (PEM) here' });
  key = Option.String('--key', {
    required: true,
    description: 'write the private key (PEM, mode 0600) here',
  });
  days = Option.String('--days', '825', {
    description: 'days of validity (default 825)',
    validator: t.cascade(t.isNumber(), [t.isInteger(), t.isInInclusiveRange(1, 36500)]),
  });
  force = Option.Boolean('--force', false, { description: 'overwrite existing files' });

  async run(): Promise<void> {
    if (!NAME.test(this.name)) throw new Error(`--name ${JSON.stringify(this.name)} is not a DNS name`);
    for (const ip of this.ips)
      if (!isIP(ip)) throw new Error(`--ip ${JSON.stringify(ip)} is not an IP address`);
    for (const f of [this.cert, this.key])
      if (existsSync(f) && !this.force) throw new Error(`${f} exists: use --force to replace it`);
    const san = [`DNS:${this.name}`, ...this.ips.map((ip) => `IP:${ip}`)].join(',');
    // Written in a private directory beside the targets, then renamed: never a half-written or readable key.
    const tmp = mkdtempSync(join(dirname(this.key), '.routerctl-tls-'));
    try {
      const [tmpCert, tmpKey] = [join(tmp, 'cert.pem'), join(tmp, 'key.pem')];
      try {
        execFileSync(
          'openssl',
          [
            'req',
            '-x509',
            '-newkey',
            'ec',
            '-pkeyopt',
            'ec_paramgen_curve:prime256v1',
            '-nodes',
            '-keyout',
            tmpKey,
            '-out',
            tmpCert,
            '-days',
            String(this.days),
            '-subj',
            `/CN=${this.name}`,
            '-addext',
            `subjectAltName=${san}`,
          ],
          { stdio: ['ignore', 'ignore', 'pipe'] },
        );
      } catch (err) {
        const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
        throw new Error(
          e.code === 'ENOENT'
            ? 'the openssl command is not installed: apt-get install openssl (or pkg install openssl)'
            : `openssl failed: ${e.stderr?.toString().trim() || e.message}`,
        );
      }
      chmodSync(tmpKey, 0o600);
      const x509 = new X509Certificate(readFileSync(tmpCert));
      renameSync(tmpKey, this.key);
      renameSync(tmpCert, this.cert);
      this.context.stderr.write(
        `wrote ${this.cert} (for ${san}, valid until ${x509.validTo}) and ${this.key} (mode 0600)\n` +
          'the SHA-256 fingerprint below (stdout) is what each peer pins: EventPeer tls.pinnedSha256 (and listen.tls.clientAuth.pinnedSha256 for client certificates)\n',
      );
      this.write(`${x509.fingerprint256}\n`);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
}
