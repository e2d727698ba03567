/**
 * Error codes of protocol v1. Numbers are never reused once published; docs/protocol.md lists each once.
 * -32000…-32019 are avoided on purpose: other JSON-RPC ecosystems give that range a legacy meaning.
 */
export const ErrorCodes = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  CapabilityNotGranted: -32021,
  UnsupportedProtocolVersion: -32022,
  NotInitialized: -32030,
  RequestCancelled: -32031,
  DeadlineExceeded: -32032,
  ShuttingDown: -32033,
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export interface Issue {
  /** JSON Pointer into the offending value, e.g. `/spec/events/0/payload/address`. */
  path: string;
  message: string;
}

/** An error that crosses the wire as a JSON-RPC error object. */
export class ProtocolError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
  toJSON(): { code: number; message: string; data?: unknown } {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

export function invalidParams(issues: Issue[], what = 'params'): ProtocolError {
  const first = issues[0];
  const summary = first ? `${first.path || '/'}: ${first.message}` : 'invalid';
  return new ProtocolError(ErrorCodes.InvalidParams, `invalid ${what}: ${summary}`, { issues });
}

export function capabilityNotGranted(capability: string, what: string): ProtocolError {
  return new ProtocolError(
    ErrorCodes.CapabilityNotGranted,
    `capability ${capability} is required for ${what} but was not granted`,
    { capability },
  );
}
