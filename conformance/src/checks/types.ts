import type { Capability } from '@routerd/plugin-sdk';
import type { Exercise } from '../exercise.js';
import type { LoadedVector } from '../vectors.js';
import type { JsonObject, PluginSession, Response, SessionOptions } from '../wire/plugin-session.js';

export interface Timeouts {
  /** How long initialize may take (docs/protocol.md: 10 s by default). */
  handshakeMs: number;
  /** Answering initialize slower than this (from spawn) is a warning (R-L1: "well under a second"). */
  initializeFastMs: number;
  /** How long any other request may take. */
  requestMs: number;
  /** How long after stdin EOF a plugin may take to exit (R-L9: 2 s). */
  exitMs: number;
  /** How long a plugin has to prove it is alive after a cancel (R-X3: 2 s). */
  cancelGraceMs: number;
  /** How long to watch for something that must not happen (a late answer, a publish before initialized). */
  quietMs: number;
  /** The spec.deadline the deadline check gives a request, from now. */
  deadlineMs: number;
  /** How long the plugin must keep answering while its stderr is not read. */
  stderrStallMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = {
  handshakeMs: 10_000,
  initializeFastMs: 1_000,
  requestMs: 5_000,
  exitMs: 2_000,
  cancelGraceMs: 2_000,
  quietMs: 400,
  deadlineMs: 1_000,
  stderrStallMs: 2_000,
};

/** What the first handshake (the probe) learned; later checks build on it. */
export interface Probe {
  response?: Response;
  /** ms from spawn to the initialize answer. */
  ms?: number;
  /** Why there is no usable initialize result. */
  problem?: string;
  result?: JsonObject;
  /** undefined when the result has no list of capabilities. */
  declared?: Capability[];
}

export interface Verdict {
  ok: boolean;
  message: string;
  details?: string[];
  /** The requirements a failure breaks, when not all of the check's (see CheckInfo.clauses). */
  violated?: string[];
}

/** Thrown by a check that cannot run because something it needs is missing: reported as a failure. */
export class NotTestable extends Error {}

export interface CheckContext {
  executable: string;
  args: string[];
  config: JsonObject;
  /** What the operator grants (--grant; all grantable v1 capabilities by default). */
  granted: readonly Capability[];
  /** What sessions after the probe grant: declared ∩ granted, as a host deploying the plugin would. */
  sessionGrant: readonly Capability[];
  timeouts: Timeouts;
  probe: Probe;
  vectors: LoadedVector[];
  /** A fresh plugin process for this check (killed with its group when the check ends). */
  spawn(options?: Partial<SessionOptions>): PluginSession;
  /** spawn + initialize + notifications/initialized, or NotTestable. */
  open(options?: Partial<SessionOptions>): Promise<PluginSession>;
  /** The shared full-lifecycle session with every applicable golden vector (run once per conformance run). */
  exercise(): Promise<Exercise>;
  /**
   * Run `fn` with the one handshaken process the wire checks share, one check at a time. For checks that
   * only send pings, unknown methods, broken lines and refused requests: nothing that makes plugin code run.
   */
  withWireSession<T>(fn: (s: PluginSession) => Promise<T>): Promise<T>;
  /** Every session of the run so far (derived checks look at all of them). */
  allSessions(): PluginSession[];
}

export interface CheckImpl {
  id: string;
  /** Derived checks run last, over everything the other checks saw. */
  derived?: boolean;
  /** Needs a working handshake (from the probe); otherwise the check is not testable. */
  needsHandshake: boolean;
  run(ctx: CheckContext): Promise<Verdict>;
}

export const pass = (message: string, details?: string[]): Verdict => ({ ok: true, message, details });
export const fail = (message: string, details?: string[], violated?: string[]): Verdict => ({
  ok: false,
  message,
  details,
  ...(violated?.length ? { violated } : {}),
});
