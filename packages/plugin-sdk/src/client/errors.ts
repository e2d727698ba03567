import type { Issue } from '../protocol/errors.js';

/**
 * Host-local failure codes. They never cross the wire as JSON-RPC codes; they describe what the host saw
 * (docs/protocol.md § Host-side failures).
 */
export type PluginErrorCode =
  | 'SPAWN_FAILED'
  | 'HANDSHAKE_TIMEOUT'
  | 'HANDSHAKE_FAILED'
  | 'UNSUPPORTED_PROTOCOL_VERSION'
  | 'CAPABILITY_NOT_GRANTED'
  | 'REQUEST_TIMEOUT'
  | 'CANCELLED'
  | 'PROCESS_EXITED'
  | 'STDOUT_VIOLATION'
  | 'RESULT_SCHEMA_INVALID'
  | 'RPC_ERROR'
  | 'NOT_RUNNING'
  | 'DEGRADED';

export interface PluginErrorDetails {
  rpcCode?: number;
  rpcData?: unknown;
  capability?: string;
  issues?: Issue[];
  exitCode?: number | null;
  signal?: string | null;
  stderrTail?: string;
}

export class PluginError extends Error {
  readonly code: PluginErrorCode;
  readonly details: PluginErrorDetails;
  constructor(code: PluginErrorCode, message: string, details: PluginErrorDetails = {}) {
    super(message);
    this.name = 'PluginError';
    this.code = code;
    this.details = details;
  }
}
