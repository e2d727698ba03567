/**
 * The receiver's socket: plain HTTP, or TLS with listen.tls. It outlives reloads that keep its address,
 * port, connection caps and TLS on or off: the app (keys, peers) is swapped under it, and a new
 * certificate goes in with server.setSecureContext — open connections and requests in flight carry on,
 * new handshakes get the new certificate. A client certificate (mTLS) is judged as soon as its handshake
 * ends, before the HTTP parser reads a byte.
 */
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { createServer, STATUS_CODES } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { type ConnectionLimits, type DroppedConnection, limitConnections } from './connection-limits.js';
import { judgeClient, type ReceiverTlsContext, secureContextOptions } from './receiver-tls.js';
import { errorBody, type RefusalReason, type RequestRefusal, STATUS } from './refusal.js';

export interface ListenOptions extends ConnectionLimits {
  address: string;
  port: number;
  allowWildcard: boolean;
}

/** Refusals below the app (a slow or broken client, a connection cap): the caller counts and logs them. */
export type ListenRefused = (reason: RefusalReason, detail: string) => void;

export class ListenError extends Error {}

/**
 * The documented server timeouts (docs/federation.md): peers are configured, near and fast. Node checks
 * the headers and request timeouts only every `connectionsCheckingInterval` (30 s by default), which
 * would stretch 10 s into as much as 40 s; checking every second keeps them close to what is written.
 */
export const RECEIVER_TIMEOUTS = {
  headersMs: 10_000,
  requestMs: 15_000,
  keepAliveMs: 5_000,
  checkEveryMs: 1_000,
} as const;

/** What Node's parser reports, as the refusal it is; other socket errors (a reset) are not answered. */
const CLIENT_ERRORS: Readonly<Record<string, { reason: RequestRefusal; message: string }>> = {
  ERR_HTTP_REQUEST_TIMEOUT: {
    reason: 'timeout',
    message: `headers must arrive within ${RECEIVER_TIMEOUTS.headersMs / 1000} s and the whole request within ${RECEIVER_TIMEOUTS.requestMs / 1000} s`,
  },
  HPE_HEADER_OVERFLOW: { reason: 'headers-too-large', message: 'request headers are too large' },
};

/**
 * Bind exactly the configured address (the overlay address in production). A wildcard would expose the
 * receiver on every interface, so it needs an explicit `allowWildcard: true`. Connections are capped in
 * total and per remote address (connection-limits.ts), and a client that is too slow or speaks broken
 * HTTP gets a JSON answer like every other refusal.
 */
export async function listenReceiver(
  app: RequestListener,
  listen: ListenOptions,
  refused: ListenRefused = () => {},
  tls?: ReceiverTlsContext,
  now: () => number = Date.now,
): Promise<Server> {
  return (await ReceiverListener.open(app, listen, refused, tls, now)).server;
}

type Handler = RequestListener<typeof IncomingMessage, typeof ServerResponse>;

export class ReceiverListener {
  private constructor(
    readonly server: Server,
    private readonly listen: ListenOptions,
    private current: { app: Handler; refused: ListenRefused; tls?: ReceiverTlsContext },
  ) {}

  static async open(
    app: Handler,
    listen: ListenOptions,
    refused: ListenRefused,
    tls: ReceiverTlsContext | undefined,
    now: () => number,
  ): Promise<ReceiverListener> {
    if ((listen.address === '0.0.0.0' || listen.address === '::') && !listen.allowWildcard) {
      throw new ListenError(
        `listen.address ${listen.address} is a wildcard: bind the overlay address instead, or set listen.allowWildcard: true`,
      );
    }
    const options = {
      headersTimeout: RECEIVER_TIMEOUTS.headersMs,
      requestTimeout: RECEIVER_TIMEOUTS.requestMs,
      connectionsCheckingInterval: RECEIVER_TIMEOUTS.checkEveryMs,
    };
    // Every request goes to the app in force: a reload swaps it without touching the socket.
    const dispatch: Handler = (req, res) => self.current.app(req, res);
    const server: Server = tls
      ? (createHttpsServer(
          {
            ...options,
            ...secureContextOptions(tls),
            // Always asked for, judged by our own rules (judgeClient): clientAuth can change on a reload.
            requestCert: true,
            rejectUnauthorized: false,
            handshakeTimeout: RECEIVER_TIMEOUTS.headersMs,
          },
          dispatch,
        ) as unknown as Server)
      : createServer(options, dispatch);
    const self = new ReceiverListener(server, listen, { app, refused, tls });
    const report: ListenRefused = (reason, detail) => self.current.refused(reason, detail);
    server.keepAliveTimeout = RECEIVER_TIMEOUTS.keepAliveMs;
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) =>
      answerClientError(err, socket, report),
    );
    if (tls) {
      server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) =>
        report(
          'tls-handshake',
          `TLS handshake from ${socket.remoteAddress ?? 'unknown'} failed: ${err.message}`,
        ),
      );
      // Before the HTTP parser's own listener: a refused client is gone before a byte of it is read.
      server.prependListener('secureConnection', (socket: TLSSocket) => {
        const ctx = self.current.tls;
        const problem = ctx && judgeClient(socket, ctx, now());
        if (!problem) return;
        report(
          'client-certificate',
          `client certificate from ${socket.remoteAddress ?? 'unknown'} refused: ${problem.message}`,
        );
        socket.destroy();
      });
    }
    limitConnections(server, listen, (d: DroppedConnection) =>
      report(
        'connection-limit',
        d.cap === 'total'
          ? `${listen.maxConnections} connections are open (listen.maxConnections): closed one from ${d.remoteAddress}`
          : `${listen.maxConnectionsPerAddress} connections from ${d.remoteAddress} are open (listen.maxConnectionsPerAddress): closed another`,
      ),
    );
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(new ListenError(`cannot listen on ${listen.address}:${listen.port}: ${err.message}`)),
      );
      server.listen(listen.port, listen.address, () => resolve());
    });
    return self;
  }

  /** Whether `listen` (and TLS on or off) can be applied to this socket, rather than a new one. */
  keeps(listen: ListenOptions, tls: boolean): boolean {
    const a = this.listen;
    return (
      a.address === listen.address &&
      a.port === listen.port &&
      a.allowWildcard === listen.allowWildcard &&
      a.maxConnections === listen.maxConnections &&
      a.maxConnectionsPerAddress === listen.maxConnectionsPerAddress &&
      (this.current.tls !== undefined) === tls
    );
  }

  /** A reload: the new app and refusal hook, and (TLS) the new certificate, key and client rules. */
  update(app: Handler, refused: ListenRefused, tls?: ReceiverTlsContext): void {
    if (tls)
      (this.server as unknown as { setSecureContext(o: object): void }).setSecureContext(
        secureContextOptions(tls),
      );
    this.current = { app, refused, ...(tls ? { tls } : {}) };
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

/**
 * Node's own answer to a timeout or unparseable request is a bare 408/400 without a body; ours is the
 * receiver's JSON error. As in Node, it is written only if no response has started on the socket.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket, refused: ListenRefused): void {
  const known =
    CLIENT_ERRORS[err.code ?? ''] ??
    (err.code?.startsWith('HPE_')
      ? { reason: 'bad-request' as const, message: 'the request is not valid HTTP/1.1' }
      : undefined);
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (known && socket.writable && !inFlight?.headersSent) {
    refused(known.reason, `${known.message} (from ${socket.remoteAddress ?? 'unknown'})`);
    const status = STATUS[known.reason];
    const body = JSON.stringify(errorBody(known.reason, known.message));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
