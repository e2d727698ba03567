/**
 * Why a request to a peer failed before any HTTP answer, in words an operator can act on. TLS failures
 * need naming: an `https://` endpoint whose other side speaks plain HTTP — a receiver without listen.tls does — fails
 * with OpenSSL's "wrong version number" (EPROTO) for ever, and "network: write EPROTO 808C…:error:0A00010B:
 * SSL routines:…" said nothing about what to change. Used by the outbox's client and the doctor's probe.
 */
import { CertificateError } from './tls-trust.js';

export type NetworkFailureCause = 'tls-handshake' | 'tls-certificate' | 'network';

export interface NetworkFailure {
  cause: NetworkFailureCause;
  /** What happened, short: `TLS handshake with 127.0.0.1:9443 failed (wrong version number)`. */
  summary: string;
  /** What to check; absent for a plain network error (the doctor's reachability advice applies). */
  advice?: string;
}

const CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
/** OpenSSL's reasons when the other side does not answer a ClientHello with TLS. */
const NOT_TLS = /wrong version number|packet length too long|unknown protocol|record layer failure/i;

export function describeNetworkError(err: NodeJS.ErrnoException, endpoint: string): NetworkFailure {
  const url = parse(endpoint);
  const host = url?.host ?? endpoint;
  const message = err.message ?? String(err);
  if (url?.protocol !== 'https:') return { cause: 'network', summary: message };
  // Judged against the EventPeer's own trust anchor (peer-tls.ts): the message says what did not match.
  if (err instanceof CertificateError) {
    return {
      cause: 'tls-certificate',
      summary: `the TLS certificate of ${host} is not trusted: ${err.message} (${err.code})`,
      advice: tlsAdvice('tls-certificate', host),
    };
  }
  if (err.code && CERTIFICATE_CODES.has(err.code)) {
    return {
      cause: 'tls-certificate',
      summary: `the TLS certificate of ${host} is not trusted (${err.code})`,
      advice: tlsAdvice('tls-certificate', host),
    };
  }
  const reason = NOT_TLS.exec(message)?.[0]?.toLowerCase();
  const handshake =
    reason !== undefined ||
    err.code === 'EPROTO' ||
    err.code?.startsWith('ERR_SSL_') === true ||
    /before secure TLS connection was established/i.test(message);
  if (!handshake) return { cause: 'network', summary: message };
  const why = reason ?? (err.code === 'ECONNRESET' ? 'connection reset during the handshake' : err.code);
  return {
    cause: 'tls-handshake',
    summary: `TLS handshake with ${host} failed (${why ?? 'no TLS'})`,
    advice: tlsAdvice('tls-handshake', host),
  };
}

/** What to check after a TLS failure towards `host` (`169.254.10.1:9443`). */
export function tlsAdvice(cause: 'tls-handshake' | 'tls-certificate', host: string): string {
  return cause === 'tls-handshake'
    ? `the endpoint is https:// but the other side does not speak TLS there: a receiver without listen.tls serves plain HTTP, so set the EventPeer's endpoint to http://${host} (over the overlay, which encrypts it) and reload, or give the peer's EventGroup listen.tls; if a TLS proxy should answer on that port, check that it runs and listens there`
    : `the peer's certificate must match what this node trusts for it: EventPeer spec.tls.pinnedSha256 (the peer's fingerprint: openssl x509 -noout -fingerprint -sha256 -in ITS_CERT), or spec.tls.caFile and the name the certificate carries (spec.tls.serverName, else the endpoint's host), inside its validity dates; without spec.tls, the system's CA store and NODE_EXTRA_CA_CERTS. Over the overlay, http://${host} needs no certificate`;
}

function parse(endpoint: string): URL | undefined {
  try {
    return new URL(endpoint);
  } catch {
    return undefined;
  }
}
