import type { Readable, Writable } from 'node:stream';
import type { JSONRPCErrorResponse, JSONRPCID, JSONRPCRequest } from 'json-rpc-2.0';
import { ErrorCodes, invalidParams, ProtocolError } from '../protocol/errors.js';
import type { Check } from '../protocol/gates/checks.js';
import { InvalidResult, type NotificationType, type RequestType } from '../protocol/methods.js';
import type { Validation } from '../protocol/validation.js';
import { type CallContext, IncomingCall, NOTIFICATION_CALL } from './incoming-call.js';
import { LineDecoder, LineWriter } from './line-transport.js';
import { Serialized } from './serialized.js';

export type { CallContext } from './incoming-call.js';

/** A handler may answer with the result already serialized (Serialized.of), which is sent as it is. */
export type RequestHandler<P, R> = (
  params: P,
  ctx: CallContext,
) => R | Serialized<R> | Promise<R | Serialized<R>>;
export type NotificationHandler<P> = (params: P) => void;

export interface HandlerOptions {
  /**
   * Runs before params are validated: a method whose state errors (not initialized, shutting down)
   * take precedence over a params error says so here.
   */
  before?: () => void;
}

interface Waiter {
  /** The peer's answer, put through the method's result check. */
  settle(raw: unknown): void;
  reject(error: Error): void;
}

/** A method this side serves: its params check, and what runs before it and on the checked params. */
interface Method {
  check: Check<unknown> | null;
  handler: (params: unknown, ctx: CallContext) => unknown;
  before?: () => void;
}

/** Whether a handler's answer is still to come (a promise, or any thenable it returned). */
export const isThenable = <T>(value: T | PromiseLike<T>): value is PromiseLike<T> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

/** The peer went away (EOF, broken pipe, or close()) while a request was pending. */
export class ConnectionClosed extends Error {}

/** Why a request was aborted, so the connection can suppress the answer to a cancelled call. */
export class CancelledByPeer extends Error {
  constructor(readonly reason?: string) {
    super(reason ? `cancelled: ${reason}` : 'cancelled');
  }
}

export interface ConnectionOptions {
  input: Readable;
  output: Writable;
  maxMessageBytes: number;
  /** Prefix of ids this side allocates ("h:" host, "p:" plugin) so they never collide. */
  idPrefix: string;
  /**
   * A line that is not JSON. The plugin side answers -32700; the host counts a stdout violation.
   * Return true to also send the standard parse-error response.
   */
  onInvalidLine?: (line: string) => boolean;
  /** An array (batch) arrived. Return true to also send the -32600 response. */
  onBatch?: (line: string) => boolean;
  onOversize?: (bytes: number) => void;
  /** A response arrived for an id that is no longer pending (late answer after cancel or timeout). */
  onLateResponse?: (id: JSONRPCID) => void;
  onClose?: (err?: Error) => void;
  /**
   * Bytes of messages to the other side that may wait for it to read them (unbounded by default): past
   * this the connection closes with PeerNotReading. The host bounds it; a plugin waits on its host.
   */
  maxQueuedBytes?: number;
  /** Every message read or written, for transcripts. */
  onTrace?: (direction: 'in' | 'out', message: unknown) => void;
  /** Internal errors are logged here; only a sanitised message crosses the wire. */
  onInternalError?: (err: unknown) => void;
}

/**
 * One JSON-RPC 2.0 peer over newline-delimited stdio: the framing, ids, dispatch, cancellation
 * bookkeeping and error mapping both sides of the protocol share. A request is dispatched by a map
 * lookup and answered in the turn its handler returns: a handler that answers synchronously costs no
 * promise, one that returns a promise costs one `then` (json-rpc-2.0's server, used before, wrapped each
 * call in several promises and generator steps: issue 18). Answers to this side's own requests settle
 * their waiter directly, the method's result check applied on the way.
 */
export class RpcConnection {
  private readonly methods = new Map<string, Method>();
  private readonly inflight = new Map<string, IncomingCall>();
  /** Requests this side sent and still waits for, by id: the answer settles one. */
  private readonly pending = new Map<string, Waiter>();
  private readonly writer: LineWriter;
  private nextId = 1;
  private closed = false;
  private readonly decoder: LineDecoder;

  constructor(private readonly opts: ConnectionOptions) {
    this.writer = new LineWriter(opts.output, (err) => this.close(err), opts.maxQueuedBytes);
    this.decoder = new LineDecoder(
      opts.maxMessageBytes,
      (line) => this.onLine(line),
      (bytes, limit) => {
        opts.onOversize?.(bytes);
        this.sendError(
          null,
          ErrorCodes.InvalidRequest,
          `message of ${bytes} bytes exceeds the limit of ${limit}`,
        );
      },
    );
    opts.input.on('data', (chunk: Buffer) => this.decoder.push(chunk));
    opts.input.on('end', () => this.close());
    opts.input.on('close', () => this.close());
    opts.input.on('error', (err) => this.close(err));
  }

  /** Apply the message size limit negotiated at initialize (R-T9) to the lines read from now on. */
  setMaxMessageBytes(bytes: number): void {
    this.decoder.setMaxBytes(bytes);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Serve a request method: params are checked against the method's schema first (-32602 with paths). */
  onRequest<P, R>(type: RequestType<P, R>, handler: RequestHandler<P, R>, opts: HandlerOptions = {}): void {
    this.addMethod(type.method, type.params, handler, opts);
  }

  /** Handle a notification; one whose params fail the schema is dropped (a notification has no answer). */
  onNotification<P>(type: NotificationType<P>, handler: NotificationHandler<P>): void {
    this.addMethod(type.method, type.params, handler, {});
  }

  private addMethod<P>(
    method: string,
    check: Check<P> | null,
    handler: (params: P, ctx: CallContext) => unknown,
    opts: HandlerOptions,
  ): void {
    this.methods.set(method, {
      check: check as Check<unknown> | null,
      handler: handler as Method['handler'],
      before: opts.before,
    });
  }

  /**
   * A method's answer: its value when the params check and the handler are synchronous, else a promise
   * of it. Throws (or rejects with) what `before`, the check or the handler throws. An accepted value is
   * checked synchronously: no extra turn, so messages are handled in the order they arrive (a
   * notification right behind a request sees the request's effects).
   */
  private invoke(m: Method, params: unknown, ctx: CallContext): unknown {
    m.before?.();
    if (!m.check) return m.handler(params, ctx);
    const checked = m.check(params ?? {});
    if (checked instanceof Promise) {
      return checked.then((r) => {
        if (!r.ok) throw invalidParams(r.issues);
        return m.handler(r.value, ctx);
      });
    }
    if (!checked.ok) throw invalidParams(checked.issues);
    return m.handler(checked.value, ctx);
  }

  /**
   * Send a request. The result promise resolves with the answer once it passes the method's result
   * check, rejects with InvalidResult when it does not, and with a ProtocolError carrying the peer's
   * code when the peer answered with an error.
   */
  sendRequest<P, R>(type: RequestType<P, R>, params: P): { id: string; result: Promise<R> } {
    const id = `${this.opts.idPrefix}${this.nextId++}`;
    if (this.closed) return { id, result: Promise.reject(new ConnectionClosed('connection is closed')) };
    const trusted = (r: Validation<R>): R => {
      if (!r.ok) throw new InvalidResult(type.method, r.issues);
      return r.value;
    };
    const result = new Promise<R>((resolve, reject) => {
      this.pending.set(id, {
        settle: (raw) => {
          // Checked in the turn the answer is read: an accepted answer resolves with no promise between.
          try {
            const checked = type.result(raw);
            resolve(checked instanceof Promise ? checked.then(trusted) : trusted(checked));
          } catch (err) {
            reject(err);
          }
        },
        reject,
      });
    });
    void this.send({ jsonrpc: '2.0', id, method: type.method, params });
    return { id, result };
  }

  sendNotification<P>(type: NotificationType<P>, params: P): void {
    void this.send({ jsonrpc: '2.0', method: type.method, params });
  }

  /** Stop waiting for a request locally: its promise rejects now, a late answer is ignored and reported. */
  abandon(id: string, error: Error): void {
    const waiter = this.pending.get(id);
    if (!waiter) return;
    this.pending.delete(id);
    waiter.reject(error);
  }

  /** Abort a request this side is serving (peer cancel); its answer is suppressed. */
  cancelIncoming(id: JSONRPCID, reason?: string): boolean {
    const call = this.inflight.get(String(id));
    if (!call) return false;
    call.abort(new CancelledByPeer(reason));
    return true;
  }

  get inflightCount(): number {
    return this.inflight.size;
  }

  close(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    for (const call of this.inflight.values()) call.abort(new CancelledByPeer('connection closed'));
    const reason = new ConnectionClosed(err ? `connection closed: ${err.message}` : 'connection closed');
    for (const waiter of this.pending.values()) waiter.reject(reason);
    this.pending.clear();
    this.opts.onClose?.(err);
  }

  private send(message: unknown): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.opts.onTrace?.('out', message);
    return this.writer.write(message);
  }

  /** The answer to a request this side served; a Serialized result is sent as the text it already is. */
  private sendResult(id: JSONRPCID, result: unknown): void {
    if (this.closed) return;
    if (result instanceof Serialized) {
      this.opts.onTrace?.('out', { jsonrpc: '2.0', id, result: result.value });
      void this.writer.writeJson(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${result.json}}`);
      return;
    }
    void this.send({ jsonrpc: '2.0', id, result: result ?? {} });
  }

  private sendError(id: JSONRPCID, code: number, message: string, data?: unknown): void {
    const error = data === undefined ? { code, message } : { code, message, data };
    void this.send({ jsonrpc: '2.0', id, error });
  }

  private onLine(line: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      if (this.opts.onInvalidLine?.(line) ?? true)
        this.sendError(null, ErrorCodes.ParseError, 'parse error: not valid JSON');
      return;
    }
    this.opts.onTrace?.('in', msg);
    if (Array.isArray(msg)) {
      if (this.opts.onBatch?.(line) ?? true) {
        this.sendError(
          null,
          ErrorCodes.InvalidRequest,
          'batches are not supported: send one message per line',
        );
      }
      return;
    }
    if (msg === null || typeof msg !== 'object') {
      this.sendError(null, ErrorCodes.InvalidRequest, 'a message must be a JSON object');
      return;
    }
    const m = msg as Record<string, unknown>;
    if (typeof m.method === 'string') {
      this.onIncoming(m as unknown as JSONRPCRequest);
    } else if ('result' in m || 'error' in m) {
      const id = m.id as JSONRPCID;
      const waiter = id === null || id === undefined ? undefined : this.pending.get(String(id));
      if (!waiter) {
        this.opts.onLateResponse?.(id ?? null);
        return;
      }
      this.pending.delete(String(id));
      const { error } = m as unknown as JSONRPCErrorResponse;
      if (error) waiter.reject(new ProtocolError(error.code, error.message, error.data));
      else waiter.settle(m.result);
    } else {
      const id = (m.id ?? null) as JSONRPCID;
      this.sendError(
        id,
        ErrorCodes.InvalidRequest,
        'invalid request: expected "method", or "result"/"error"',
      );
    }
  }

  private onIncoming(req: JSONRPCRequest): void {
    if (req.jsonrpc !== '2.0') {
      this.sendError(req.id ?? null, ErrorCodes.InvalidRequest, 'invalid request: "jsonrpc" must be "2.0"');
      return;
    }
    const method = this.methods.get(req.method);
    if (req.id === undefined || req.id === null) {
      // A notification has no answer: an unknown one is ignored, a failing one only reported.
      if (method) this.notify(method, req.params);
      return;
    }
    if ('result' in req || 'error' in req) {
      this.sendError(req.id, ErrorCodes.InvalidRequest, 'invalid request: "method" with "result" or "error"');
      return;
    }
    if (!method) {
      this.sendError(req.id, ErrorCodes.MethodNotFound, `method not found: ${req.method}`);
      return;
    }
    const call = new IncomingCall(req.id);
    const key = String(req.id);
    this.inflight.set(key, call);
    let answer: unknown;
    try {
      answer = this.invoke(method, req.params, call);
    } catch (err) {
      this.fail(key, call, err);
      return;
    }
    if (isThenable(answer)) {
      answer.then(
        (value) => this.succeed(key, call, value),
        (err) => this.fail(key, call, err),
      );
    } else this.succeed(key, call, answer);
  }

  private notify(method: Method, params: unknown): void {
    const report = (err: unknown) => void this.mapError(null, err);
    try {
      const done = this.invoke(method, params, NOTIFICATION_CALL);
      if (isThenable(done)) done.then(undefined, report);
    } catch (err) {
      report(err);
    }
  }

  /** A cancelled request gets no answer: the canceller has already stopped waiting. */
  private answered(key: string, call: IncomingCall): boolean {
    this.inflight.delete(key);
    return !(call.aborted && call.reason instanceof CancelledByPeer);
  }

  private succeed(key: string, call: IncomingCall, value: unknown): void {
    if (this.answered(key, call)) this.sendResult(call.id, value);
  }

  private fail(key: string, call: IncomingCall, err: unknown): void {
    if (this.answered(key, call)) void this.send(this.mapError(call.id, err));
  }

  /** The error answer for what a handler threw; anything but a protocol error is reported as internal. */
  private mapError(id: JSONRPCID, error: unknown): JSONRPCErrorResponse {
    const make = (code: number, message: string, data?: unknown): JSONRPCErrorResponse => ({
      jsonrpc: '2.0',
      id,
      error: data === undefined ? { code, message } : { code, message, data },
    });
    if (error instanceof ProtocolError) return make(error.code, error.message, error.data);
    if (error instanceof CancelledByPeer) return make(ErrorCodes.RequestCancelled, error.message);
    this.opts.onInternalError?.(error);
    const message = error instanceof Error ? error.message : String(error);
    return make(ErrorCodes.InternalError, `internal error: ${message}`);
  }
}
