/**
 * What a failed run becomes in its record: the outcome (failed or refused), the host-side code and
 * message, and how the process ended. Kept apart from the PluginHost so the mapping reads in one place.
 */
import { PluginError } from '@routerd/plugin-sdk/client';
import type { RunError, RunOutcomeKind } from './schemas.js';

export interface RunFailure {
  outcome: Exclude<RunOutcomeKind, 'succeeded'>;
  error: RunError;
  exitCode: number | null;
  signal: string | null;
  stderrTail: string | null;
  /** The plugin declared capabilities it was not granted: it was stopped right after `initialize`. */
  handshakeRefused: boolean;
}

/** Codes whose result reached the host and failed its checks: the answer is refused, not a failure. */
const REFUSED_CODES = new Set(['RESULT_SCHEMA_INVALID', 'CAPABILITY_NOT_GRANTED']);

export function classifyFailure(err: unknown): RunFailure {
  if (!(err instanceof PluginError)) {
    return {
      outcome: 'failed',
      error: { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) },
      exitCode: null,
      signal: null,
      stderrTail: null,
      handshakeRefused: false,
    };
  }
  const { details } = err;
  // The handshake's capability refusal is the one CAPABILITY_NOT_GRANTED without a JSON-RPC code: the
  // result gate and a plugin's own -32021 both carry rpcCode. It means the plugin never ran: failed.
  const handshakeRefused = err.code === 'CAPABILITY_NOT_GRANTED' && details.rpcCode === undefined;
  const error: RunError = { code: err.code, message: err.message };
  if (details.capability !== undefined) error.capability = details.capability;
  return {
    outcome: REFUSED_CODES.has(err.code) && !handshakeRefused ? 'refused' : 'failed',
    error,
    exitCode: details.exitCode ?? null,
    signal: details.signal ?? null,
    stderrTail: details.stderrTail ? details.stderrTail : null,
    handshakeRefused,
  };
}

export function failure(code: string, message: string): RunFailure {
  return {
    outcome: 'failed',
    error: { code, message },
    exitCode: null,
    signal: null,
    stderrTail: null,
    handshakeRefused: false,
  };
}
