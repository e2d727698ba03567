/**
 * Whether the certificate on the other end of a TLS connection is the one configured: issued by the CA
 * given (OpenSSL's verdict, `socket.authorized`), or one of the pinned fingerprints and inside its
 * validity dates (a pinned self-signed certificate has no chain to verify, so its dates are checked
 * here, on the daemon's clock); and, for a server, carrying the expected name. One judgement for both
 * sides: the sender judging the receiver, and the receiver judging a client certificate (mTLS).
 */
import { createHash } from 'node:crypto';
import { checkServerIdentity, type PeerCertificate, type TLSSocket } from 'node:tls';

/** One configured trust anchor: a CA's certificates (PEM), or SHA-256 fingerprints (lowercase hex). */
export type Trust = { ca: Buffer } | { pins: readonly string[] };

/** `AB:CD:…` or `abcd…` → `abcd…`: how pins are compared. */
export function normalizeFingerprint(text: string): string {
  return text.replace(/:/g, '').toLowerCase();
}

/** `ab:cd:…` as openssl prints it, for messages an operator compares with `openssl x509 -fingerprint`. */
export function colonFingerprint(hex: string): string {
  return (hex.match(/../g) ?? []).join(':').toUpperCase();
}

/** SHA-256 of a certificate's DER bytes, lowercase hex. */
export function certificateFingerprint(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

export class CertificateError extends Error {
  constructor(
    /** OpenSSL's code (CERT_HAS_EXPIRED, DEPTH_ZERO_SELF_SIGNED_CERT…), Node's, or CERT_NOT_PINNED / NO_CERTIFICATE. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Judge the peer certificate of an established TLS connection; undefined when it is trusted.
 * `serverName`: the name a server certificate must carry (undefined for a client certificate).
 */
export function judgeCertificate(
  socket: TLSSocket,
  trust: Trust,
  now: number,
  serverName?: string,
): CertificateError | undefined {
  // An empty object when none was presented.
  const cert: Partial<PeerCertificate> = socket.getPeerCertificate() ?? {};
  if (!cert.raw || !cert.valid_from || !cert.valid_to)
    return new CertificateError('NO_CERTIFICATE', 'no certificate was presented');
  if ('pins' in trust) {
    const fp = certificateFingerprint(cert.raw);
    if (!trust.pins.includes(fp))
      return new CertificateError(
        'CERT_NOT_PINNED',
        `certificate sha256 ${colonFingerprint(fp)} is not one of the ${trust.pins.length} pinned`,
      );
    const from = Date.parse(cert.valid_from);
    const to = Date.parse(cert.valid_to);
    if (now > to) return new CertificateError('CERT_HAS_EXPIRED', `certificate expired on ${cert.valid_to}`);
    if (now < from)
      return new CertificateError('CERT_NOT_YET_VALID', `certificate is not valid before ${cert.valid_from}`);
  } else if (!socket.authorized) {
    const code = String(socket.authorizationError ?? 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    const why =
      code === 'CERT_HAS_EXPIRED'
        ? `certificate expired on ${cert.valid_to}`
        : code === 'CERT_NOT_YET_VALID'
          ? `certificate is not valid before ${cert.valid_from}`
          : 'certificate not issued by the configured CA';
    return new CertificateError(code, why);
  }
  if (serverName !== undefined) {
    const wrongName = checkServerIdentity(serverName, cert as PeerCertificate);
    if (wrongName)
      return new CertificateError(
        'ERR_TLS_CERT_ALTNAME_INVALID',
        `certificate is not for ${serverName}: ${wrongName.message}`,
      );
  }
  return undefined;
}
