// The doctor's tls-certificate check on real certificates (openssl, as routerctl tls self-signed makes
// them), judged on an injected clock: each file the config names is read once, whatever it is used for;
// a certificate near its end WARNs, one out of its dates FAILs naming what stops working; a CA file FAILs
// only when none of its certificates is in its dates; a file that does not parse FAILs as the next start would.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { readCertificates } from '../../src/doctor/certificate-file.js';
import { federationDoctor } from '../../src/doctor/federation.js';
import { CERTIFICATE_WARNING_MS } from '../../src/doctor/tls-checks.js';
import { tempDir } from '../../src/testing/index.js';
import { selfSignedCertificate } from '../self-signed.js';

const DAY = 86_400_000;
const dir = tempDir();

/** A self-signed certificate valid for `days` from now: its file. */
const certificate = (name: string, days: number) => selfSignedCertificate(dir, name, days).certFile;

const served = certificate('cloud-1', 400);
const shortLived = certificate('old-ca', 1);
const longLived = certificate('new-ca', 400);
const bundle = join(dir, 'bundle.crt');
writeFileSync(bundle, readFileSync(shortLived, 'utf8') + readFileSync(longLived, 'utf8'));
const certificateOf = (file: string) => {
  const c = readCertificates(file);
  if ('error' in c) throw new Error(c.error);
  return c.certificates[0]!;
};
const endOf = (file: string) => certificateOf(file).validToMs;
// The checks are judged at instants relative to this one: the last of the certificates' starts (openssl
// stamps them to the second, so a clock read before making them can be a second early — a loaded machine
// then saw them "not yet valid").
const issued = Math.max(...[served, shortLived, longLived].map((f) => certificateOf(f).validFromMs));
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function config(tls: { listen?: string; client?: string; ca?: string; clientCa?: string }) {
  const file = join(dir, `c-${Math.random().toString(36).slice(2)}.yaml`);
  const clientAuth = tls.clientCa ? `, clientAuth: { caFile: ${tls.clientCa} }` : '';
  const peerTls = [
    tls.ca ? `caFile: ${tls.ca}` : `pinnedSha256: [${'ab'.repeat(32)}]`,
    ...(tls.client ? [`certFile: ${tls.client}`, `keyFile: ${dir}/client.key`] : []),
  ].join(', ');
  writeFileSync(
    file,
    `apiVersion: federation.routerd.net/v1alpha1
kind: EventGroup
metadata: { name: lab }
spec:
  nodeName: cloud-1
  listen: { address: 169.254.100.2${tls.listen ? `, tls: { certFile: ${tls.listen}, keyFile: ${dir}/cloud-1.key${clientAuth} }` : ''} }
  auth: { mode: hmac, secretFile: /etc/routerd/secret }
---
apiVersion: federation.routerd.net/v1alpha1
kind: EventPeer
metadata: { name: onprem }
spec:
  groupRef: lab
  nodeName: onprem-1
  endpoint: 'https://169.254.100.1:9443'
  tls: { ${peerTls} }
`,
  );
  const load = loadConfig([file]);
  if (!load.ok) throw new Error(JSON.stringify(load.issues));
  return load.config;
}

function tlsChecks(tls: Parameters<typeof config>[0], now: number) {
  return federationDoctor({
    config: config(tls),
    now,
    peers: [],
    deliveries: [],
    subscriptionRuns: [],
    plugins: [],
    skew: [],
    refused: [],
    keyFile: () => ({ mode: 0o100600 }),
    certificates: readCertificates,
  }).checks.filter((c) => c.code === 'tls-certificate');
}

const SERVES =
  "peers refuse the certificate EventGroup lab's receiver serves: nothing they send reaches this node";
const PRESENTS =
  'EventPeer onprem refuses the client certificate this node presents to it, if it asks for one';

describe('tls-certificate', () => {
  it('reads each file once, whatever it serves as, and passes with its subject and last day', () => {
    // The node's own certificate, served by its receiver and presented to its peer.
    expect(tlsChecks({ listen: served, client: served }, issued)).toEqual([
      {
        code: 'tls-certificate',
        status: 'PASS',
        subject: served,
        summary: `CN=cloud-1 valid until ${day(endOf(served))}`,
      },
    ]);
  });

  it(`WARNs ${CERTIFICATE_WARNING_MS / DAY} days before the end, and FAILs after it, naming everything that stops working`, () => {
    const end = endOf(served);
    expect(tlsChecks({ listen: served }, end - CERTIFICATE_WARNING_MS - DAY)[0]?.status).toBe('PASS');
    const [soon] = tlsChecks({ listen: served, client: served }, end - 3 * DAY);
    expect(soon).toMatchObject({
      status: 'WARN',
      summary: `CN=cloud-1 expires on ${day(end)} (in 3 days): then ${SERVES}; ${PRESENTS}`,
    });
    expect(soon?.advice).toMatch(/^renew it \(routerctl tls self-signed .*systemctl reload routerd-eventd/);
    expect(tlsChecks({ listen: served, client: served }, end + 1)[0]).toMatchObject({
      status: 'FAIL',
      summary: `CN=cloud-1 expired on ${day(end)}: ${SERVES}; ${PRESENTS}`,
    });
  });

  it('FAILs a certificate not yet valid on this clock, and says the clock may be what is wrong', () => {
    const [early] = tlsChecks({ listen: served }, issued - DAY);
    expect(early?.status).toBe('FAIL');
    expect(early?.summary).toMatch(
      new RegExp(
        `^CN=cloud-1 is valid only from \\S+, and this node's clock says ${new Date(issued - DAY).toISOString()}: peers refuse`,
      ),
    );
    expect(early?.advice).toMatch(/clock is behind .*timedatectl/);
  });

  it('a CA file fails only when none of its certificates is in its dates; the same file as a chain fails on one', () => {
    const later = issued + 2 * DAY;
    expect(tlsChecks({ ca: bundle }, later)).toEqual([
      {
        code: 'tls-certificate',
        status: 'WARN',
        subject: bundle,
        summary: '1 of its 2 CA certificates is out of their dates (CN=old-ca); the others still verify',
        advice: 'remove the certificates out of their dates from the file, then reload',
      },
    ]);
    expect(tlsChecks({ ca: bundle }, issued)[0]).toMatchObject({
      status: 'WARN',
      summary: `CN=old-ca expires on ${day(endOf(shortLived))} (in 1 day): then EventPeer onprem's certificate cannot be verified against this CA: nothing is delivered to it`,
    });
    expect(tlsChecks({ ca: bundle }, endOf(longLived) + 1)[0]).toMatchObject({
      status: 'FAIL',
      summary: `CN=old-ca expired on ${day(endOf(shortLived))}: EventPeer onprem's certificate cannot be verified against this CA: nothing is delivered to it`,
    });
    expect(tlsChecks({ listen: bundle }, later)[0]).toMatchObject({
      status: 'FAIL',
      summary: `CN=old-ca expired on ${day(endOf(shortLived))}: ${SERVES}`,
    });
    expect(tlsChecks({ listen: served, clientCa: longLived }, issued).map((c) => c.status)).toEqual([
      'PASS',
      'PASS',
    ]);
  });

  it('FAILs a file that does not parse, or cannot be read, as the next start or reload would', () => {
    const garbage = join(dir, 'garbage.crt');
    writeFileSync(
      garbage,
      '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n',
    );
    const empty = join(dir, 'key-instead.crt');
    writeFileSync(empty, readFileSync(join(dir, 'cloud-1.key')));
    const [bad] = tlsChecks({ listen: garbage }, issued);
    expect(bad?.status).toBe('FAIL');
    expect(bad?.summary).toMatch(
      /^does not parse now: certificate 1 of 1 does not parse \(.+\) — the next start or reload fails$/,
    );
    expect(bad?.advice).toContain(`openssl x509 -noout -subject -dates -in ${garbage}`);
    expect(tlsChecks({ listen: empty }, issued)[0]?.summary).toBe(
      'does not parse now: it holds no PEM certificate (-----BEGIN CERTIFICATE-----) — the next start or reload fails',
    );
    expect(tlsChecks({ listen: join(dir, 'gone.crt') }, issued)[0]).toMatchObject({
      status: 'FAIL',
      summary: expect.stringMatching(/^does not parse now: .*no such file/i),
    });
  });

  it('a config without TLS files has no tls-certificate check', () => {
    expect(tlsChecks({}, issued)).toEqual([]);
  });
});
