/**
 * What a failed run becomes in its record: the outcome (failed or refused), the host-side code and
 * message, and how the process ended. Kept apart from the PluginHost so the mapping reads in one place.
 * A message may quote the plugin (a JSON-RPC error's message): it is cut to MAX_STORED_TEXT_BYTES here,
 * so the log, the API answer and both run ledgers get the same bounded text.
 */

import type { RunError, RunOutcomeKind } from '@routerd/host-wire';
import { type ExitInfo, MAX_STORED_TEXT_BYTES, PluginError, truncateUtf8 } from '@routerd/plugin-sdk/client';

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
      error: { code: 'INTERNAL', message: bounded(err instanceof Error ? err.message : String(err)) },
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
  const error: RunError = { code: err.code, message: bounded(err.message) };
  if (details.capability !== undefined) error.capability = truncateUtf8(details.capability, 256);
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

/** What a run's process left running (and the host killed), for the run record; null when nothing. */
export function describeLeftBehind(exit: ExitInfo): string | null {
  if (!exit.leakedProcesses) return null;
  const n = exit.leftBehind.length;
  // /proc may not say what was left (another OS), only that the process group was not empty.
  if (n === 0) return 'killed the processes left in its process group';
  const list = exit.leftBehind.map((p) => `${p.pid} (${p.command})`).join(', ');
  const where =
    exit.containment === 'cgroup' ? 'in its cgroup' : 'by its process group or environment marker';
  return bounded(`killed ${n} process${n === 1 ? '' : 'es'} left running, found ${where}: ${list}`);
}

function bounded(text: string): string {
  return truncateUtf8(text, MAX_STORED_TEXT_BYTES);
}
