import type { Readable, Writable } from 'node:stream';
import {
  DEFAULT_MAX_IN_FLIGHT,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_TIMEOUT_MS,
  PLAN_ACTIONS,
  PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '../protocol/constants.js';
import { capabilityNotGranted, ErrorCodes, type Issue, ProtocolError } from '../protocol/errors.js';
import { InvalidResult, Notifications, Requests } from '../protocol/methods.js';
import { capabilityViolations, checkPluginResult } from '../protocol/result-checks.js';
import type {
  Capability,
  InitializeResult,
  Limits,
  MessageParams,
  PluginRequest,
  PluginResult,
  ProgressParams,
  PublishEnvelope,
  PublishResult,
} from '../protocol/schemas/messages.js';
import type { PlanAction } from '../protocol/schemas/resources.js';
import { formatIssues } from '../protocol/validation.js';
import { RpcConnection } from '../rpc/connection.js';
import { Deadlines } from '../rpc/deadlines.js';
import { PeerNotReading } from '../rpc/line-transport.js';
import { PluginError } from './errors.js';

export interface HostInfo {
  name: string;
  version: string;
}

export interface SessionOptions {
  pluginName: string;
  host: HostInfo;
  granted: readonly Capability[];
  config?: Record<string, unknown>;
  limits?: Partial<Limits>;
  protocolVersion?: number;
  supportedProtocolVersions?: number[];
  /**
   * The plan actions this host accepts, said at initialize: by default every one this SDK knows (the host
   * checks results with its schemas); false says nothing, as hosts before the list did.
   */
  planActions?: readonly PlanAction[] | false;
  /**
   * Handles `events/publish` from the plugin; only called when `observe.events` is granted. Only the
   * envelope is checked here: each draft is unvalidated and must be judged on its own (§7), so one bad
   * draft is rejected alone instead of failing the whole call.
   */
  onPublish?: (params: PublishEnvelope) => Promise<PublishResult> | PublishResult;
  onProgress?: (params: ProgressParams) => void;
  onMessage?: (params: MessageParams) => void;
  onTrace?: (direction: 'in' | 'out', message: unknown) => void;
  /** Tear the session down on the first non-protocol stdout line instead of counting it. */
  strictStdout?: boolean;
}

export interface RunOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Messages to a plugin that may wait for it to read them, in multiples of the message size limit: a
 * request of the largest size being written and one more. Past it the plugin does not read its stdin
 * (it publishes and never takes its answers, say) and the session ends with PeerNotReading.
 */
export const QUEUED_MESSAGES_TO_PLUGIN = 2;

export interface SessionStats {
  stdoutViolations: number;
  firstViolation?: string;
  /** Why the session ended because the plugin did not read its stdin (PeerNotReading), when it did. */
  notReading?: string;
  lateResponses: number;
  oversizeMessages: number;
}

/**
 * The host side of the protocol over a pair of streams: handshake, capability checks, calls with
 * deadlines and cancellation, result validation. Process management lives in PluginProcess.
 */
export class HostSession {
  readonly conn: RpcConnection;
  readonly stats: SessionStats = { stdoutViolations: 0, lateResponses: 0, oversizeMessages: 0 };
  initializeResult?: InitializeResult;
  private ready = false;
  private inFlight = 0;
  private readonly queue: (() => void)[] = [];
  private violationListeners: ((line: string) => void)[] = [];
  private notReadingListeners: ((reason: string) => void)[] = [];
  /** Under strictStdout, why the session was torn down (the first line that was not the protocol). */
  private strictRefusal?: string;
  private readonly negotiated: Limits;
  /** The deadlines of the runs in flight, under one timer (a monotonic clock: a budget from now). */
  private readonly deadlines = new Deadlines({ now: () => performance.now(), holdsProcess: true });

  constructor(
    input: Readable,
    output: Writable,
    private readonly opts: SessionOptions,
  ) {
    this.negotiated = {
      maxMessageBytes: opts.limits?.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      maxInFlight: opts.limits?.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT,
      defaultTimeoutMs: opts.limits?.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS,
    };
    this.conn = new RpcConnection({
      input,
      output,
      maxMessageBytes: opts.limits?.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      idPrefix: 'h:',
      onInvalidLine: (line) => {
        this.violation(line);
        return false;
      },
      onBatch: (line) => {
        this.violation(line);
        return false;
      },
      onOversize: () => {
        this.stats.oversizeMessages++;
      },
      onLateResponse: () => {
        this.stats.lateResponses++;
      },
      onTrace: opts.onTrace,
      maxQueuedBytes: QUEUED_MESSAGES_TO_PLUGIN * this.negotiated.maxMessageBytes,
      onClose: (err) => {
        if (!(err instanceof PeerNotReading)) return;
        this.stats.notReading = err.message;
        for (const l of this.notReadingListeners) l(err.message);
      },
    });
    this.conn.onRequest(Requests.publish, async (params) => {
      if (!this.ready)
        throw new ProtocolError(ErrorCodes.NotInitialized, 'events/publish before the handshake completed');
      if (!this.opts.granted.includes('observe.events'))
        throw capabilityNotGranted('observe.events', 'events/publish');
      if (!this.opts.onPublish)
        throw new ProtocolError(ErrorCodes.MethodNotFound, 'this host does not accept events/publish');
      return this.opts.onPublish(params);
    });
    this.conn.onNotification(Notifications.progress, (p) => this.opts.onProgress?.(p));
    this.conn.onNotification(Notifications.message, (p) => this.opts.onMessage?.(p));
    this.conn.onRequest(Requests.ping, () => ({}));
  }

  get limits(): Readonly<Limits> {
    return this.negotiated;
  }

  onViolation(listener: (line: string) => void): void {
    this.violationListeners.push(listener);
  }

  /** The session ended because the plugin did not read what was written to it (PeerNotReading). */
  onNotReading(listener: (reason: string) => void): void {
    this.notReadingListeners.push(listener);
  }

  private violation(line: string): void {
    this.stats.stdoutViolations++;
    this.stats.firstViolation ??= line.slice(0, 512);
    // Strict: nothing read after it counts, not even an answer that came in the same chunk (a busy host
    // reads the banner and the initialize answer together, and would otherwise finish the handshake).
    if (this.opts.strictStdout && !this.strictRefusal) {
      this.strictRefusal = `plugin wrote a line that is not the protocol on stdout: "${line.slice(0, 120)}"`;
      this.conn.close(new Error(this.strictRefusal));
    }
    for (const l of this.violationListeners) l(line);
  }

  /** initialize → checks → notifications/initialized. Throws PluginError on any failure. */
  async handshake(timeoutMs: number): Promise<InitializeResult> {
    const params = {
      protocolVersion: this.opts.protocolVersion ?? PROTOCOL_VERSION,
      supportedProtocolVersions: this.opts.supportedProtocolVersions ?? [...SUPPORTED_PROTOCOL_VERSIONS],
      host: this.opts.host,
      plugin: { name: this.opts.pluginName },
      grantedCapabilities: [...this.opts.granted],
      config: this.opts.config ?? {},
      limits: this.limits,
      ...(this.opts.planActions === false
        ? {}
        : { planActions: [...(this.opts.planActions ?? PLAN_ACTIONS)] }),
    };
    const { id, result } = this.conn.sendRequest(Requests.initialize, params);
    let res: InitializeResult;
    try {
      res = await withTimeout(result, timeoutMs, () => {
        this.conn.abandon(id, new Error('handshake timeout'));
        return new PluginError(
          'HANDSHAKE_TIMEOUT',
          `plugin did not answer initialize within ${timeoutMs} ms`,
        );
      });
    } catch (err) {
      if (this.strictRefusal) throw new PluginError('HANDSHAKE_FAILED', this.strictRefusal);
      if (err instanceof InvalidResult) {
        throw new PluginError('HANDSHAKE_FAILED', `invalid initialize result: ${formatIssues(err.issues)}`, {
          issues: err.issues,
        });
      }
      if (err instanceof ProtocolError) {
        if (err.code === ErrorCodes.UnsupportedProtocolVersion) {
          throw new PluginError(
            'UNSUPPORTED_PROTOCOL_VERSION',
            `plugin refused protocol version ${params.protocolVersion}: ${err.message}. Upgrade whichever side is older.`,
            { rpcCode: err.code, rpcData: err.data },
          );
        }
        throw new PluginError('HANDSHAKE_FAILED', `initialize failed: ${err.message}`, {
          rpcCode: err.code,
          rpcData: err.data,
        });
      }
      throw err;
    }
    // The answer may have been read just before the offending line, in the same chunk.
    if (this.strictRefusal) throw new PluginError('HANDSHAKE_FAILED', this.strictRefusal);
    if (!params.supportedProtocolVersions.includes(res.protocolVersion)) {
      throw new PluginError(
        'UNSUPPORTED_PROTOCOL_VERSION',
        `plugin chose protocol version ${res.protocolVersion}, host speaks ${params.supportedProtocolVersions.join(', ')}`,
      );
    }
    const ungranted = res.capabilities.filter((c) => !this.opts.granted.includes(c));
    if (ungranted.length > 0) {
      throw new PluginError(
        'CAPABILITY_NOT_GRANTED',
        `plugin declares capabilit${ungranted.length > 1 ? 'ies' : 'y'} ${ungranted.join(', ')} that ${ungranted.length > 1 ? 'were' : 'was'} not granted; grant ${ungranted.length > 1 ? 'them' : 'it'} in the Plugin resource's spec.capabilities or use a plugin that needs less`,
        { capability: ungranted[0] },
      );
    }
    this.initializeResult = res;
    this.ready = true;
    this.conn.sendNotification(Notifications.initialized, {});
    return res;
  }

  /**
   * plugin/run with a deadline. On timeout or abort the host sends notifications/cancelled and rejects
   * at once; the caller (PluginProcess) decides whether to kill after the grace.
   */
  async run(request: PluginRequest, options: RunOptions = {}): Promise<PluginResult> {
    if (!this.ready) throw new PluginError('NOT_RUNNING', 'handshake has not completed');
    // At most limits.maxInFlight calls are on the wire at once; the rest wait here, in order.
    if (this.inFlight >= this.limits.maxInFlight) await new Promise<void>((r) => this.queue.push(r));
    this.inFlight++;
    const timeoutMs = options.timeoutMs ?? this.limits.defaultTimeoutMs;
    const { id, result } = this.conn.sendRequest(Requests.run, request);
    // Both ways a run ends early — its deadline, the caller's signal — tell the plugin and reject the
    // call at once (abandon), so a call costs a deadline entry and at most one listener.
    const cancel = (reason: string, error: PluginError) => {
      this.conn.sendNotification(Notifications.cancelled, { requestId: id, reason });
      this.conn.abandon(id, error);
    };
    const withdraw = this.deadlines.add(performance.now() + timeoutMs, () =>
      cancel(
        'deadline exceeded',
        new PluginError('REQUEST_TIMEOUT', `plugin/run did not finish within ${timeoutMs} ms`),
      ),
    );
    const { signal } = options;
    const onAbort = () =>
      cancel('cancelled by host', new PluginError('CANCELLED', 'run cancelled by the host'));
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    try {
      // One async frame per call (this one): the schema check ran as the answer was read.
      return this.checkGranted(await result);
    } catch (err) {
      throw runFailure(err);
    } finally {
      withdraw();
      signal?.removeEventListener('abort', onAbort);
      this.inFlight--;
      this.queue.shift()?.();
    }
  }

  get callsInFlight(): number {
    return this.inFlight;
  }

  /** Schema first, then the capability gate: a result is kept whole or not at all. */
  checkResult(raw: unknown): PluginResult {
    const checked = checkPluginResult(raw);
    if (!checked.ok) throw resultSchemaInvalid(checked.issues);
    return this.checkGranted(checked.value);
  }

  private checkGranted(result: PluginResult): PluginResult {
    const violation = capabilityViolations(result.status, this.opts.granted)[0];
    if (violation) {
      throw new PluginError(
        'CAPABILITY_NOT_GRANTED',
        `plugin returned status.${violation.field}, which needs capability ${violation.capability}; it was not granted, so the whole result was refused`,
        { capability: violation.capability, rpcCode: ErrorCodes.CapabilityNotGranted },
      );
    }
    return result;
  }

  async ping(timeoutMs = 5000): Promise<void> {
    const { id, result } = this.conn.sendRequest(Requests.ping, {});
    await withTimeout(result, timeoutMs, () => {
      this.conn.abandon(id, new Error('ping timeout'));
      return new PluginError('REQUEST_TIMEOUT', `plugin did not answer ping within ${timeoutMs} ms`);
    });
  }

  /** Polite shutdown request; errors and timeouts are swallowed because stop() escalates anyway. */
  async shutdown(timeoutMs = 1000): Promise<void> {
    const { id, result } = this.conn.sendRequest(Requests.shutdown, {});
    await withTimeout(result, timeoutMs, () => {
      this.conn.abandon(id, new Error('shutdown timeout'));
      return new PluginError('REQUEST_TIMEOUT', 'shutdown timeout');
    }).catch(() => {});
  }
}

/** What a failed plugin/run becomes for the caller: the plugin's error code, or why its result was refused. */
function runFailure(err: unknown): unknown {
  if (err instanceof InvalidResult) return resultSchemaInvalid(err.issues);
  if (!(err instanceof ProtocolError)) return err;
  if (err.code === ErrorCodes.DeadlineExceeded) {
    return new PluginError('REQUEST_TIMEOUT', `plugin reported its deadline exceeded: ${err.message}`, {
      rpcCode: err.code,
    });
  }
  const capability = (err.data as { capability?: string } | undefined)?.capability;
  return new PluginError(
    err.code === ErrorCodes.CapabilityNotGranted ? 'CAPABILITY_NOT_GRANTED' : 'RPC_ERROR',
    `plugin/run failed (${err.code}): ${err.message}`,
    { rpcCode: err.code, rpcData: err.data, capability },
  );
}

function resultSchemaInvalid(issues: Issue[]): PluginError {
  return new PluginError(
    'RESULT_SCHEMA_INVALID',
    `plugin returned an invalid result: ${formatIssues(issues)}`,
    {
      issues,
    },
  );
}

function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
