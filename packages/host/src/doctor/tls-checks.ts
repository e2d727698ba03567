/**
 * The doctor's check of every TLS certificate file the config names (`tls-certificate`): whether each
 * certificate in it is inside its validity dates on this node's clock, and how long it stays so. The
 * daemon loads an expired certificate without complaint — TLS refuses it only at the other end, when a
 * peer connects — so this is where an operator learns of it before the peers do, or why they refuse.
 */
import type { FederationConfig } from '../config/index.js';
import { type Check, day, daysLeft, flag, pass } from './checks.js';

/** How long before a certificate's end the doctor warns: time to renew it and reload every node. */
export const CERTIFICATE_WARNING_MS = 14 * 24 * 3600_000;

/** A certificate file as it parses now: each certificate's subject and validity, or why it does not parse. */
export type CertificateContents =
  | { certificates: { subject: string; validFromMs: number; validToMs: number }[] }
  | { error: string };

/**
 * What a file is for. A `chain` (a node's own certificate, then its intermediates) fails when any of its
 * certificates is out of its dates; `anchors` (a CA file) fail only when none is in them.
 */
interface Use {
  kind: 'chain' | 'anchors';
  /** What stops working when the file's certificates are out of their dates. */
  breaks: string;
}

/** Every certificate file the config names, with what each is used for (one file can serve several uses). */
function certificateFiles(config: FederationConfig): Map<string, Use[]> {
  const files = new Map<string, Use[]>();
  const add = (file: string, use: Use) => files.set(file, [...(files.get(file) ?? []), use]);
  for (const { resource: g } of config.groups) {
    const tls = g.spec.listen?.tls;
    if (!tls) continue;
    const group = g.metadata.name;
    add(tls.certFile, {
      kind: 'chain',
      breaks: `peers refuse the certificate EventGroup ${group}'s receiver serves: nothing they send reaches this node`,
    });
    if (tls.clientAuth?.caFile)
      add(tls.clientAuth.caFile, {
        kind: 'anchors',
        breaks: `EventGroup ${group}'s receiver cannot verify the client certificates this CA issued: it refuses those peers`,
      });
  }
  for (const { resource: p } of config.peers) {
    const tls = p.spec.tls;
    if (!tls) continue;
    const peer = p.metadata.name;
    if (tls.caFile)
      add(tls.caFile, {
        kind: 'anchors',
        breaks: `EventPeer ${peer}'s certificate cannot be verified against this CA: nothing is delivered to it`,
      });
    if (tls.certFile)
      add(tls.certFile, {
        kind: 'chain',
        breaks: `EventPeer ${peer} refuses the client certificate this node presents to it, if it asks for one`,
      });
  }
  return files;
}

export function tlsCertificateChecks(
  config: FederationConfig,
  contents: (path: string) => CertificateContents,
  now: number,
): Check[] {
  return [...certificateFiles(config)].map(([file, uses]) => {
    const breaks = uses.map((u) => u.breaks).join('; ');
    const renew = `renew it (routerctl tls self-signed makes a node's own certificate; peers that pin it need its new fingerprint), then systemctl reload routerd-eventd on this node`;
    const c = contents(file);
    if ('error' in c)
      return flag(
        'FAIL',
        'tls-certificate',
        file,
        `does not parse now: ${c.error} — the next start or reload fails`,
        `put the PEM certificate(s) back (openssl x509 -noout -subject -dates -in ${file} shows what it holds), then systemctl reload routerd-eventd`,
      );
    const certs = c.certificates;
    const expired = certs.filter((x) => x.validToMs <= now);
    const early = certs.filter((x) => x.validFromMs > now);
    const valid = certs.filter((x) => x.validToMs > now && x.validFromMs <= now);
    const anchorsOnly = uses.every((u) => u.kind === 'anchors');
    const out = [...expired, ...early];
    if (out.length > 0 && (!anchorsOnly || valid.length === 0)) {
      const first = expired[0];
      if (first)
        return flag(
          'FAIL',
          'tls-certificate',
          file,
          `${first.subject} expired on ${day(first.validToMs)}: ${breaks}`,
          renew,
        );
      const e = early[0]!;
      return flag(
        'FAIL',
        'tls-certificate',
        file,
        `${e.subject} is valid only from ${new Date(e.validFromMs).toISOString()}, and this node's clock says ${new Date(now).toISOString()}: ${breaks}`,
        `if this node's clock is behind (a router without a real-time clock before NTP syncs), set it right (timedatectl; chronyc tracking); otherwise the certificate was issued with a start in the future: reissue it`,
      );
    }
    const soonest = [...valid].sort((a, b) => a.validToMs - b.validToMs)[0];
    if (out.length > 0)
      return flag(
        'WARN',
        'tls-certificate',
        file,
        `${out.length} of its ${certs.length} CA certificates ${out.length === 1 ? 'is' : 'are'} out of their dates (${out[0]!.subject}); the others still verify`,
        'remove the certificates out of their dates from the file, then reload',
      );
    if (soonest && soonest.validToMs <= now + CERTIFICATE_WARNING_MS)
      return flag(
        'WARN',
        'tls-certificate',
        file,
        `${soonest.subject} expires on ${day(soonest.validToMs)} (in ${daysLeft(soonest.validToMs, now)}): then ${breaks}`,
        renew,
      );
    return pass(
      'tls-certificate',
      file,
      certs.length === 1
        ? `${soonest!.subject} valid until ${day(soonest!.validToMs)}`
        : `${certs.length} certificates, the first to expire ${soonest!.subject} on ${day(soonest!.validToMs)}`,
    );
  });
}
