/**
 * What the plugin host says about runs and plugins, as arktype schemas: the PluginHost's API, the run
 * records and the control API's wire types all derive from these, so they cannot drift apart.
 */
import { Event, PluginResult } from '@routerd/plugin-sdk';
import { type } from 'arktype';

export const TriggerType = type("'event' | 'interval' | 'manual'");
export type TriggerType = typeof TriggerType.infer;

/** What a run is asked to work on: the protocol's `spec.trigger` and `spec.events`. */
export const PluginRunInput = type({
  trigger: { type: TriggerType, 'subscription?': 'string', 'topic?': 'string' },
  events: Event.array(),
});
export type PluginRunInput = typeof PluginRunInput.infer;

/**
 * succeeded: a result that passed the schema and the capability gate. refused: the plugin answered,
 * but its result failed one of those checks (nothing of it is kept). failed: no usable answer at all
 * (crash, timeout, handshake refused, JSON-RPC error, plugin not running).
 */
export const RunOutcomeKind = type("'succeeded' | 'failed' | 'refused'");
export type RunOutcomeKind = typeof RunOutcomeKind.infer;

export const RunError = type({
  /** A host-side failure code (docs/protocol.md § 11), e.g. REQUEST_TIMEOUT, CAPABILITY_NOT_GRANTED. */
  code: 'string',
  message: 'string',
  'capability?': 'string',
});
export type RunError = typeof RunError.infer;

export const PluginRunOutcome = type({
  runId: 'string',
  plugin: 'string',
  outcome: RunOutcomeKind,
  'result?': PluginResult,
  'error?': RunError,
  durationMs: 'number',
  startedAt: 'string',
  dryRun: 'boolean',
});
export type PluginRunOutcome = typeof PluginRunOutcome.infer;

/** One row of `plugin_runs`, as `routerctl plugin runs` shows it. */
export const PluginRunRecord = type({
  runId: 'string',
  plugin: 'string',
  trigger: TriggerType,
  subscription: 'string | null',
  topic: 'string | null',
  requestName: 'string',
  dryRun: 'boolean',
  startedAt: 'string',
  durationMs: 'number',
  outcome: RunOutcomeKind,
  events: 'number',
  errorCode: 'string | null',
  errorMessage: 'string | null',
  capability: 'string | null',
  exitCode: 'number | null',
  signal: 'string | null',
  stderrTail: 'string | null',
  /** What the run's process left running when it exited (the host killed it), or null. */
  leftBehind: 'string | null',
});
export type PluginRunRecord = typeof PluginRunRecord.infer;

export const PluginState = type("'stopped' | 'starting' | 'running' | 'backoff' | 'degraded'");

export const PluginStatus = type({
  name: 'string',
  lifecycle: "'longLived' | 'oneShot'",
  state: PluginState,
  'lastError?': 'string',
  /** Unplanned restarts of a long-lived plugin since it was (re)configured. */
  'restarts?': 'number',
  'lastRunAt?': 'string',
  /** The last warning the plugin logged, within the last 15 minutes (RECENT_WARNING_MS). */
  'lastWarning?': { message: 'string', at: 'string' },
  /** The interval schedules, e.g. ["5m"]. */
  intervals: 'string[]',
});
export type PluginStatus = typeof PluginStatus.infer;
