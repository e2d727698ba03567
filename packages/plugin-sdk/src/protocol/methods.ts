import { Methods } from './constants.js';
import type { Issue } from './errors.js';
import { type Check, checkRunResult, messageChecks } from './gates/checks.js';
import type {
  CancelledParams,
  InitializeParams,
  InitializeResult,
  MessageParams,
  PluginRequest,
  PluginResult,
  ProgressParams,
  PublishEnvelope,
  PublishResult,
} from './schemas/messages.js';
import { formatIssues } from './validation.js';

/**
 * Each protocol method as one value that carries its name, the schema its receiver checks params
 * against and the check its caller applies to the answer (vscode-jsonrpc's `ProtocolRequestType`
 * is the model). Call sites name the method once and get both halves typed, instead of pairing a
 * method string with a schema by hand each time.
 */
export interface RequestType<P, R> {
  readonly kind: 'request';
  readonly method: string;
  /** What the receiving side checks params with before its handler runs; null: no params are read. */
  readonly params: Check<P> | null;
  /** What the calling side applies to the answer before it trusts it. */
  readonly result: Check<R>;
}

export interface NotificationType<P> {
  readonly kind: 'notification';
  readonly method: string;
  readonly params: Check<P> | null;
}

function requestType<P, R>(method: string, params: Check<P> | null, result: Check<R>): RequestType<P, R> {
  return { kind: 'request', method, params, result };
}

function notificationType<P>(method: string, params: Check<P> | null): NotificationType<P> {
  return { kind: 'notification', method, params };
}

// The checks are the precompiled gates of the arktype schemas (gates/checks.ts): the same verdicts and,
// for a refused value, the same issues, without building a schema on the way of every message.
export const Requests = {
  initialize: requestType<InitializeParams, InitializeResult>(
    Methods.initialize,
    messageChecks.InitializeParams,
    messageChecks.InitializeResult,
  ),
  ping: requestType<object, object>(Methods.ping, null, messageChecks.PingResult),
  shutdown: requestType<object, object>(Methods.shutdown, null, messageChecks.ShutdownResult),
  /** The host checks a result's schema and the payload/resource second pass (result-checks.ts). */
  run: requestType<PluginRequest, PluginResult>(Methods.run, messageChecks.PluginRequest, checkRunResult),
  /**
   * A host reads only the envelope and judges each draft on its own (§7); a plugin must send valid
   * drafts (PublishParams), which the envelope type accepts.
   */
  publish: requestType<PublishEnvelope, PublishResult>(
    Methods.publish,
    messageChecks.PublishEnvelope,
    messageChecks.PublishResult,
  ),
} as const;

export const Notifications = {
  initialized: notificationType<object>(Methods.initialized, null),
  cancelled: notificationType<CancelledParams>(Methods.cancelled, messageChecks.CancelledParams),
  progress: notificationType<ProgressParams>(Methods.progress, messageChecks.ProgressParams),
  message: notificationType<MessageParams>(Methods.message, messageChecks.MessageParams),
} as const;

/** An answer that failed its method's result check; callers map it to their own error vocabulary. */
export class InvalidResult extends Error {
  constructor(
    readonly method: string,
    readonly issues: Issue[],
  ) {
    super(`invalid ${method} result: ${formatIssues(issues)}`);
  }
}
