import type { Readable, Writable } from 'node:stream';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  EXIT_AFTER_EOF_MS,
  knownPlanActions,
  MAGIC_COOKIE_KEY,
  MAGIC_COOKIE_VALUE,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '../protocol/constants.js';
import { capabilityNotGranted, ErrorCodes, ProtocolError } from '../protocol/errors.js';
import { pluginResultHolds } from '../protocol/gates/index.js';
import { InvalidResult, Notifications, Requests } from '../protocol/methods.js';
import { capabilityViolations } from '../protocol/result-capabilities.js';
import type { EventDraft } from '../protocol/schemas/event.js';
import type {
  Capability,
  InitializeParams,
  PluginRequest,
  PluginResult,
} from '../protocol/schemas/messages.js';
import { formatIssues, type Validation } from '../protocol/validation.js';
import { type CallContext, isThenable, RpcConnection } from '../rpc/connection.js';
import { Deadlines } from '../rpc/deadlines.js';
import { Serialized } from '../rpc/serialized.js';
import { SDK_NAME, SDK_VERSION } from '../version.js';
import type { PluginContext, PluginDefinition } from './define-plugin.js';
import { createStderrLogger, type Logger } from './logger.js';
import { configChecker, invalidConfig } from './plugin-config.js';

export interface ServeOptions {
  input: Readable;
  output: Writable;
  log?: Logger;
  /** Called once the connection ends (stdin EOF, broken stdout, or close()). */
  onEnd?: () => void;
}

export interface ServeHandle {
  close(): void;
  /** Resolves when the connection has ended. */
  closed: Promise<void>;
}

class DeadlineExceeded extends Error {}

/**
 * Serve a plugin over any pair of streams. `serveStdio` uses process stdin/stdout; the testing helpers
 * use in-memory streams so the same plugin runs in-process under a debugger.
 */
export function serve<Config>(plugin: PluginDefinition<Config>, opts: ServeOptions): ServeHandle {
  const log = opts.log ?? createStderrLogger();
  let state: 'new' | 'initializing' | 'ready' | 'shutting-down' = 'new';
  let init: InitializeParams | undefined;
  let config: Config | undefined;
  const checkConfig = configChecker(plugin);
  const watchAbort = new AbortController();
  // One timer for the deadlines of every run in flight (epoch ms: the instant the host wrote). It never
  // holds the process: the host's pipe does, and the host keeps a deadline of its own.
  const deadlines = new Deadlines({ now: Date.now, holdsProcess: false });
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => {
    resolveClosed = r;
  });

  const conn = new RpcConnection({
    input: opts.input,
    output: opts.output,
    maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
    idPrefix: 'p:',
    onInternalError: (err) =>
      log.error('handler failed', { error: err instanceof Error ? err.stack : String(err) }),
    onClose: () => {
      deadlines.clear();
      watchAbort.abort();
      opts.onEnd?.();
      resolveClosed();
    },
  });

  const granted = (): readonly Capability[] => init?.grantedCapabilities ?? [];
  const baseContext = (): PluginContext<Config> => ({
    config: config as Config,
    granted: granted(),
    host: init!.host,
    planActions: knownPlanActions(init!.planActions),
    log,
    publish: async (events: EventDraft[]) => {
      if (!granted().includes('observe.events'))
        throw capabilityNotGranted('observe.events', 'events/publish');
      try {
        return await conn.sendRequest(Requests.publish, { events }).result;
      } catch (err) {
        if (!(err instanceof InvalidResult)) throw err;
        throw new ProtocolError(
          ErrorCodes.InternalError,
          `host sent an invalid publish result: ${formatIssues(err.issues)}`,
        );
      }
    },
  });

  // What every handler's context shares; fixed once initialize has set the config and the grants.
  let shared: PluginContext<Config> | undefined;
  const context = () => {
    shared ??= baseContext();
    return shared;
  };

  conn.onRequest(Requests.initialize, (params) => {
    if (state !== 'new') throw new ProtocolError(ErrorCodes.InvalidRequest, 'initialize was already called');
    const offered = params.supportedProtocolVersions ?? [params.protocolVersion];
    const common = offered.filter(
      (v) => SUPPORTED_PROTOCOL_VERSIONS.includes(v) && v <= params.protocolVersion,
    );
    if (common.length === 0) {
      throw new ProtocolError(
        ErrorCodes.UnsupportedProtocolVersion,
        `protocol version ${params.protocolVersion} is not supported by this plugin (it speaks ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`,
        { supported: SUPPORTED_PROTOCOL_VERSIONS, requested: params.protocolVersion },
      );
    }
    const checked = checkConfig(params.config);
    if (!checked.ok) throw invalidConfig(checked.issues);
    config = checked.value;
    init = params;
    state = 'initializing';
    // The host's limit, not our default: a line it may send us is a line we must be able to read.
    conn.setMaxMessageBytes(params.limits.maxMessageBytes);
    return {
      protocolVersion: Math.max(...common),
      plugin: { name: plugin.name, version: plugin.version },
      sdk: { name: SDK_NAME, version: SDK_VERSION },
      capabilities: [...plugin.capabilities],
    };
  });

  conn.onNotification(Notifications.initialized, () => {
    if (state !== 'initializing') return;
    state = 'ready';
    if (plugin.watch && granted().includes('observe.events')) {
      const ctx = { ...context(), signal: watchAbort.signal };
      Promise.resolve(plugin.watch(ctx)).catch((err) => {
        if (!watchAbort.signal.aborted)
          log.error('watch failed', { error: err instanceof Error ? err.message : String(err) });
      });
    }
  });

  conn.onRequest(Requests.ping, () => ({}));

  conn.onRequest(Requests.shutdown, () => {
    state = 'shutting-down';
    watchAbort.abort();
    return {};
  });

  conn.onNotification(Notifications.cancelled, (params) => {
    conn.cancelIncoming(params.requestId, params.reason);
  });

  // State errors come before a params error: a plugin that is not ready says so whatever it was sent.
  const assertReady = () => {
    if (state === 'shutting-down')
      throw new ProtocolError(ErrorCodes.ShuttingDown, 'plugin is shutting down');
    if (state !== 'ready') {
      throw new ProtocolError(ErrorCodes.NotInitialized, 'plugin/run before notifications/initialized');
    }
  };

  conn.onRequest(
    Requests.run,
    (request, call) => {
      if (!plugin.run)
        throw new ProtocolError(ErrorCodes.MethodNotFound, 'this plugin does not implement plugin/run');

      const deadline = new Date(request.spec.deadline);
      // The deadline is an instant of the clock we share with the host, not a budget from spec.now: a
      // request can arrive after it (a host's queue, a slow start), and then no work may begin (R-X2).
      if (deadline.getTime() <= Date.now()) {
        throw new ProtocolError(
          ErrorCodes.DeadlineExceeded,
          `deadline ${request.spec.deadline} had passed when the request arrived`,
        );
      }
      let lastProgress = 0;
      const { config: cfg, granted: held, host, planActions, publish } = context();
      const output = plugin.run(request, {
        // Fields named one by one: an object spread here costs more than the rest of the call.
        config: cfg,
        granted: held,
        host,
        planActions,
        log,
        publish,
        requestId: request.metadata.requestId,
        // Made when the handler first reads it: an AbortSignal is the dearest part of a small call.
        get signal() {
          return call.signal;
        },
        deadline,
        progress: (progress, total, message) => {
          if (progress < lastProgress) return;
          lastProgress = progress;
          conn.sendNotification(Notifications.progress, {
            requestId: call.id as string,
            progress,
            total,
            message,
          });
        },
      });
      // A handler that answered synchronously has finished: no cancel or deadline can end it any more,
      // so its answer costs no timer and no promise.
      if (!isThenable(output)) return finishResult(output, request, held);
      return settledOrAborted(output, call, deadline.getTime(), deadlines).then(
        (out) => finishResult(out, request, held),
        (err) => {
          if (err instanceof DeadlineExceeded) {
            throw new ProtocolError(
              ErrorCodes.DeadlineExceeded,
              `deadline ${request.spec.deadline} exceeded`,
            );
          }
          throw err;
        },
      );
    },
    { before: assertReady },
  );

  return { close: () => conn.close(), closed };
}

/**
 * The handler's output, or the reason its call ends early — a cancel from the host, or the deadline
 * (DeadlineExceeded) — whichever comes first. The call's own abort serves both, and a handler that
 * ignores its signal is not waited for.
 */
function settledOrAborted<T>(
  work: PromiseLike<T>,
  call: CallContext,
  deadline: number,
  deadlines: Deadlines,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const withdraw = deadlines.add(deadline, () => call.abort(new DeadlineExceeded()));
    const stopWaiting = call.onAbort((reason) => {
      withdraw();
      reject(reason);
    });
    work.then(
      (value) => {
        withdraw();
        stopWaiting();
        resolve(value);
      },
      (err) => {
        withdraw();
        stopWaiting();
        reject(err);
      },
    );
  });
}

/**
 * Fill the boilerplate, then refuse to send anything the host would refuse: no ungranted output, no
 * invalid result. Synchronous for a result that passes (the usual case); a refused one is described
 * from its schema, which is asynchronous.
 */
function finishResult(
  output: Partial<PluginResult['status']>,
  request: PluginRequest,
  granted: readonly Capability[],
): Serialized<PluginResult> | Promise<Serialized<PluginResult>> {
  const result: PluginResult = {
    apiVersion: request.apiVersion,
    kind: 'PluginResult',
    metadata: { name: request.metadata.name, requestId: request.metadata.requestId },
    status: { observedAt: new Date().toISOString(), ...output },
  };
  const violation = capabilityViolations(result.status, granted)[0];
  if (violation) throw capabilityNotGranted(violation.capability, `status.${violation.field}`);
  // The usual result passes as it is and is serialized once. Otherwise check what the host will receive:
  // JSON drops `undefined` fields, so `undo: cond ? x : undefined` is fine; the text checked is the text sent.
  if (pluginResultHolds(result)) return Serialized.ofChecked(result);
  const wire = Serialized.of<PluginResult>(result);
  const checked = Requests.run.result(wire.value);
  const sendable = (r: Validation<PluginResult>): Serialized<PluginResult> => {
    if (r.ok) return wire;
    throw new ProtocolError(
      ErrorCodes.InternalError,
      `plugin produced an invalid result: ${formatIssues(r.issues)}`,
      { issues: r.issues },
    );
  };
  return checked instanceof Promise ? checked.then(sendable) : sendable(checked);
}

/**
 * Run a plugin as a child of routerd: checks the magic cookie, keeps stdout for protocol only
 * (console.log goes to stderr), and exits when stdin closes or stdout breaks.
 */
export function serveStdio<Config>(plugin: PluginDefinition<Config>): ServeHandle | undefined {
  if (process.env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) {
    process.stderr.write(
      `${plugin.name} is a routerd plugin: it speaks JSON-RPC on stdin/stdout and is started by routerd-eventd or routerd-plugin test, not by hand.\n`,
    );
    process.exit(1);
    return undefined;
  }
  // Anything a dependency prints with console.* must not corrupt the protocol stream.
  const toStderr = (...args: unknown[]) => {
    process.stderr.write(`${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}\n`);
  };
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
  process.stdout.on('error', () => process.exit(0));
  const handle = serve(plugin, {
    input: process.stdin,
    output: process.stdout,
    onEnd: () => {
      // Give the last answer a moment to flush, but never outlive the host's EOF deadline.
      setTimeout(() => process.exit(0), 50).unref();
      setTimeout(() => process.exit(0), EXIT_AFTER_EOF_MS / 2);
    },
  });
  return handle;
}
