/**
 * The sender's side of TLS towards one peer (EventPeer.spec.tls): its trust anchor — a CA file or pinned
 * certificate fingerprints, instead of the process-wide store — the name to check, and the client
 * certificate to present. The agent below hands a socket to HTTP only once the peer's certificate is
 * judged (tls-trust.ts), so not a byte of a request reaches a server that is not the one configured.
 */
import type { Agent as HttpAgent } from 'node:http';
import { type AgentOptions, Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import { type ConnectionOptions, connect, type TLSSocket } from 'node:tls';
import type { PeerTls } from '../config/schemas.js';
import { KEY_FILE_MAX_BYTES, NotReadableError, readRegularFile } from '../regular-file.js';
import { judgeCertificate, normalizeFingerprint, type Trust } from './tls-trust.js';

export class TlsFileError extends Error {}

/** The files of a PeerTls, read (at start and at each reload, before anything is swapped). */
export interface PeerTlsContext {
  trust: Trust;
  /** Checked against the certificate: the configured serverName, else (CA mode) the endpoint's host. */
  serverName?: string;
  clientCert?: { cert: Buffer; key: Buffer };
}

/** Read a TLS file, naming the field that points at it when it cannot be read. */
export function readTlsFile(path: string, field: string, secret = false): Buffer {
  try {
    const file = readRegularFile(path, KEY_FILE_MAX_BYTES);
    if (secret && (file.stats.mode & 0o077) !== 0)
      throw new TlsFileError(
        `${field} ${path} is readable by group or others (mode ${(file.stats.mode & 0o777).toString(8)}); run: chmod 600 ${path}`,
      );
    return Buffer.from(file.text);
  } catch (err) {
    if (err instanceof TlsFileError) throw err;
    const reason = err instanceof NotReadableError ? err.reason : (err as Error).message;
    throw new TlsFileError(`cannot read ${field} ${path}: ${reason}`);
  }
}

export function loadPeerTls(tls: PeerTls, where: string): PeerTlsContext {
  const trust: Trust = tls.caFile
    ? { ca: readTlsFile(tls.caFile, `${where} tls.caFile`) }
    : { pins: (tls.pinnedSha256 ?? []).map(normalizeFingerprint) };
  return {
    trust,
    ...(tls.serverName ? { serverName: tls.serverName } : {}),
    ...(tls.certFile && tls.keyFile
      ? {
          clientCert: {
            cert: readTlsFile(tls.certFile, `${where} tls.certFile`),
            key: readTlsFile(tls.keyFile, `${where} tls.keyFile`, true),
          },
        }
      : {}),
  };
}

/** The name a peer's certificate must carry: the configured one, else (trusting a CA) the endpoint's host. */
function expectedName(ctx: PeerTlsContext, host: string): string | undefined {
  if (ctx.serverName) return ctx.serverName;
  // A pinned certificate is known by its fingerprint: its name adds nothing unless one is asked for.
  return 'ca' in ctx.trust ? host.replace(/^\[|\]$/g, '') : undefined;
}

/**
 * An https agent for one peer. Certificate checks are ours (rejectUnauthorized: false only defers
 * OpenSSL's verdict to judgeCertificate, which reads it): the connection is handed over after the
 * handshake, once judged, and destroyed otherwise with an error whose code network-error.ts names.
 */
export function peerAgent(ctx: PeerTlsContext, options: AgentOptions, now: () => number): HttpAgent {
  const agent = new HttpsAgent(options);
  const tlsOptions: ConnectionOptions = {
    ...('ca' in ctx.trust ? { ca: ctx.trust.ca } : {}),
    ...(ctx.clientCert ?? {}),
    rejectUnauthorized: false,
    // The name is judgeCertificate's to check (the configured serverName, not only the host).
    checkServerIdentity: () => undefined,
  };
  // Agent#createSocket takes (options, callback) and waits for the callback when nothing is returned.
  (
    agent as unknown as {
      createConnection: (o: ConnectionOptions, cb: (err: Error | null, s?: Socket) => void) => undefined;
    }
  ).createConnection = (o, cb) => {
    const host = String(o.host ?? 'localhost');
    const name = expectedName(ctx, host);
    // SNI: the configured name, else what the agent derived from the host (nothing for an address).
    const socket: TLSSocket = connect({
      ...o,
      ...tlsOptions,
      ...(ctx.serverName ? { servername: ctx.serverName } : {}),
    });
    let settled = false;
    socket.once('secureConnect', () => {
      const problem = judgeCertificate(socket, ctx.trust, now(), name);
      settled = true;
      if (problem) {
        socket.destroy();
        cb(problem);
      } else cb(null, socket);
    });
    socket.once('error', (err) => {
      if (!settled) {
        settled = true;
        cb(err);
      }
    });
    return undefined;
  };
  return agent;
}
