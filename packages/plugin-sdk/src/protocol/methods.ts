import type { Type } from 'arktype';
import { Methods } from './constants.js';
import type { Issue } from './errors.js';
import { checkPluginResult } from './result-checks.js';
import {
  CancelledParams,
  InitializeParams,
  InitializeResult,
  MessageParams,
  PingResult,
  PluginRequest,
  type PluginResult,
  ProgressParams,
  PublishEnvelope,
  PublishResult,
  ShutdownResult,
} from './schemas/messages.js';
import { formatIssues, type Validation, validate } from './validate.js';

/**
 * Each protocol method as one value that carries its name, the schema its receiver checks params
 * against and the check its caller applies to the answer (vscode-jsonrpc's `ProtocolRequestType`
 * is the model). Call sites name the method once and get both halves typed, instead of pairing a
 * method string with a schema by hand each time.
 */
export interface RequestType<P, R> {
  readonly kind: 'request';
  readonly method: string;
  /** What the receiving side validates before its handler runs; null: no params are read. */
  readonly params: Type<P> | null;
  /** What the calling side applies to the answer before it trusts it. */
  readonly result: (raw: unknown) => Validation<R>;
}

export interface NotificationType<P> {
  readonly kind: 'notification';
  readonly method: string;
  readonly params: Type<P> | null;
}

function requestType<P, R>(
  method: string,
  params: Type<P> | null,
  result: (raw: unknown) => Validation<R>,
): RequestType<P, R> {
  return { kind: 'request', method, params, result };
}

const checkedBy =
  <R>(schema: Type<R>) =>
  (raw: unknown): Validation<R> =>
    validate(schema, raw);

function notificationType<P>(method: string, params: Type<P> | null): NotificationType<P> {
  return { kind: 'notification', method, params };
}

export const Requests = {
  initialize: requestType(Methods.initialize, InitializeParams, checkedBy(InitializeResult)),
  ping: requestType<object, object>(Methods.ping, null, checkedBy(PingResult)),
  shutdown: requestType<object, object>(Methods.shutdown, null, checkedBy(ShutdownResult)),
  /** The host checks a result's schema and the payload/resource second pass (result-checks.ts). */
  run: requestType<PluginRequest, PluginResult>(Methods.run, PluginRequest, checkPluginResult),
  /**
   * A host reads only the envelope and judges each draft on its own (§7); a plugin must send valid
   * drafts (PublishParams), which the envelope type accepts.
   */
  publish: requestType(Methods.publish, PublishEnvelope, checkedBy(PublishResult)),
} as const;

export const Notifications = {
  initialized: notificationType<object>(Methods.initialized, null),
  cancelled: notificationType(Methods.cancelled, CancelledParams),
  progress: notificationType(Methods.progress, ProgressParams),
  message: notificationType(Methods.message, MessageParams),
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
