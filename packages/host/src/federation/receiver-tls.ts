/**
 * The receiver's side of TLS (EventGroup.spec.listen.tls): its certificate and key, read at start and at
 * each reload (before anything is swapped: a bad file leaves the running context in place), and who may
 * present a client certificate. The verdict on a client certificate is tls-trust.ts's.
 */
import type { TLSSocket } from 'node:tls';
import type { ListenTls } from '../config/schemas.js';
import { readTlsFile } from './peer-tls.js';
import { type CertificateError, judgeCertificate, normalizeFingerprint, type Trust } from './tls-trust.js';

export interface ReceiverTlsContext {
  cert: Buffer;
  key: Buffer;
  clientAuth?: { required: boolean; trust: Trust };
}

export function loadReceiverTls(tls: ListenTls, where: string): ReceiverTlsContext {
  const clientAuth = tls.clientAuth;
  return {
    cert: readTlsFile(tls.certFile, `${where} listen.tls.certFile`),
    key: readTlsFile(tls.keyFile, `${where} listen.tls.keyFile`, true),
    ...(clientAuth
      ? {
          clientAuth: {
            required: clientAuth.required,
            trust: clientAuth.caFile
              ? { ca: readTlsFile(clientAuth.caFile, `${where} listen.tls.clientAuth.caFile`) }
              : { pins: (clientAuth.pinnedSha256 ?? []).map(normalizeFingerprint) },
          },
        }
      : {}),
  };
}

/** The secure-context options of a context: what server.setSecureContext swaps on a reload. */
export function secureContextOptions(ctx: ReceiverTlsContext) {
  const trust = ctx.clientAuth?.trust;
  return { cert: ctx.cert, key: ctx.key, ...(trust && 'ca' in trust ? { ca: trust.ca } : {}) };
}

/**
 * A client's certificate, judged against the context's clientAuth: undefined when the connection may go
 * on (no clientAuth; none presented and none required; a trusted one).
 */
export function judgeClient(
  socket: TLSSocket,
  ctx: ReceiverTlsContext,
  now: number,
): CertificateError | undefined {
  const auth = ctx.clientAuth;
  if (!auth) return undefined;
  const presented = Object.keys(socket.getPeerCertificate() ?? {}).length > 0;
  if (!presented && !auth.required) return undefined;
  return judgeCertificate(socket, auth.trust, now);
}
