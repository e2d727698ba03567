/**
 * Reading a request body and writing a JSON answer on plain node:http, for the routes every event passes
 * through (the federation receiver, the control API's emits). Express costs such a request ~0.6 ms of CPU
 * more than node:http on this 2-core machine at a few hundred requests a second (issue 18): its router,
 * the request and response prototypes it swaps in, and the answer's ETag. The body is read by raw-body,
 * the reader under Express's own body parsers, so limits and their errors stay what they were.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import getRawBody from 'raw-body';

/** raw-body's error: `type` says which (`entity.too.large`, `request.aborted`, `request.size.invalid`…). */
export type BodyReadError = Error & { type?: string; status?: number };

/**
 * How much more of a refused body is read and dropped so that its answer arrives: an answer written
 * while the client is still sending is followed by a close that resets the connection, and the client
 * sees the reset, not the answer. Past this, the rest is not read: the answer goes out and the
 * connection is closed (a client that sends without end must not keep the daemon reading until its
 * request timeout).
 */
export const READ_OFF_MAX_BYTES = 4 * 2 ** 20;

/**
 * The whole body, at most `limit` (bytes, or raw-body's '32mb'; a Content-Length over it is refused
 * before a byte is read). On an error the rest of the request, up to READ_OFF_MAX_BYTES, is read off and
 * dropped before the promise rejects, as Express's body parsers do (without their bound).
 */
export function readBody(req: IncomingMessage, limit: number | string): Promise<Buffer> {
  return getRawBody(req, { length: req.headers['content-length'], limit }).catch((err: BodyReadError) =>
    readOff(req).then(() => Promise.reject(err)),
  );
}

/** Resolves once the request has ended or gone, or READ_OFF_MAX_BYTES more of it were dropped. */
function readOff(req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    if (req.complete || req.destroyed) {
      resolve();
      return;
    }
    let dropped = 0;
    const done = () => {
      req.off('data', drop);
      req.pause();
      resolve();
    };
    const drop = (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > READ_OFF_MAX_BYTES) done();
    };
    req.on('data', drop);
    req.once('end', done);
    req.once('close', done);
    req.resume();
  });
}

/** The path of a request's target, without its query (`/v1/events?x=1` is `/v1/events`). */
export function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** Whether the body comes as sent: no Content-Encoding, or `identity`. */
export function isIdentityEncoded(req: IncomingMessage): boolean {
  const encoding = req.headers['content-encoding'];
  return encoding === undefined || encoding.trim().toLowerCase() === 'identity';
}

/** A JSON answer: the body serialised once, its length set, nothing written for a HEAD request. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

/**
 * A request listener that no request can take the process down with: what `handle` throws, or the promise
 * it returns rejects with, goes to `onError` (which answers); should that throw too, the connection is
 * dropped. Express did this for the routes it served: a daemon never dies of one request.
 */
export function guardedListener(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void> | undefined,
  onError: (err: unknown, req: IncomingMessage, res: ServerResponse) => void,
): RequestListener {
  const fail = (err: unknown, req: IncomingMessage, res: ServerResponse) => {
    try {
      onError(err, req, res);
    } catch {
      res.destroy();
    }
  };
  return (req, res) => {
    try {
      handle(req, res)?.catch((err: unknown) => fail(err, req, res));
    } catch (err) {
      fail(err, req, res);
    }
  };
}
