/**
 * What the plugin host says about runs and plugins (docs/control-api.md § Plugins): the run outcome, the
 * run records of `plugin_runs`, each plugin's status. The states and the trigger are the SDK's.
 */
import { Event, PluginResult, Trigger } from '@routerd/plugin-sdk';
import { Lifecycle, SupervisorState } from '@routerd/plugin-sdk/client';
import { type } from 'arktype';
import { MAX_BATCH_EVENTS } from './constants.js';
import { lazyType } from './lazy-type.js';
import { LimitParam } from './query.js';

/** What started a run: the protocol's `spec.trigger.type`. */
export const TriggerType = lazyType(() => Trigger.get('type'));
export type TriggerType = typeof TriggerType.infer;

/**
 * succeeded: a result that passed the schema and the capability gate. refused: the plugin answered,
 * but its result failed one of those checks (nothing of it is kept). failed: no usable answer at all
 * (crash, timeout, handshake refused, JSON-RPC error, plugin not running).
 */
export const RunOutcomeKind = lazyType(() => type("'succeeded' | 'failed' | 'refused'"));
export type RunOutcomeKind = typeof RunOutcomeKind.infer;

export const RunError = lazyType(() =>
  type({
    /** A host-side failure code (docs/protocol.md § 11), e.g. REQUEST_TIMEOUT, CAPABILITY_NOT_GRANTED. */
    code: 'string',
    message: 'string',
    'capability?': 'string',
  }),
);
export type RunError = typeof RunError.infer;

export const PluginRunOutcome = lazyType(() =>
  type({
    runId: 'string',
    plugin: 'string',
    outcome: RunOutcomeKind,
    'result?': PluginResult,
    'error?': RunError,
    durationMs: 'number',
    startedAt: 'string',
    dryRun: 'boolean',
  }),
);
export type PluginRunOutcome = typeof PluginRunOutcome.infer;

/** One run as `plugin_runs` keeps it and `routerctl plugin runs` shows it. */
export const PluginRunRecord = lazyType(() =>
  type({
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
  }),
);
export type PluginRunRecord = typeof PluginRunRecord.infer;

/** A plugin's state is its supervisor's. */
export const PluginState = SupervisorState;
export type PluginState = typeof PluginState.infer;

export const PluginStatus = lazyType(() =>
  type({
    name: 'string',
    lifecycle: Lifecycle,
    state: PluginState,
    'lastError?': 'string',
    /** Unplanned restarts of a long-lived plugin since it was (re)configured. */
    'restarts?': 'number',
    'lastRunAt?': 'string',
    /** The last warning the plugin logged, within the last 15 minutes. */
    'lastWarning?': { message: 'string', at: 'string' },
    /** The interval schedules, e.g. ["5m"]. */
    intervals: 'string[]',
  }),
);
export type PluginStatus = typeof PluginStatus.infer;

/** GET /v1/plugins */
export const PluginsResponse = lazyType(() => type({ plugins: PluginStatus.array() }));
export type PluginsResponse = typeof PluginsResponse.infer;

/** POST /v1/plugins/:name/run — a manual run; `events` are whole Events handed to the plugin, not stored. */
export const RunPluginRequest = lazyType(() =>
  type({
    'dryRun?': 'boolean',
    'topic?': 'string',
    'events?': Event.array().atMostLength(MAX_BATCH_EVENTS),
  }).onUndeclaredKey('reject'),
);
export type RunPluginRequest = typeof RunPluginRequest.infer;
export const RunPluginResponse = lazyType(() => type({ run: PluginRunOutcome }));
export type RunPluginResponse = typeof RunPluginResponse.infer;

/** GET /v1/plugins/runs?plugin=&outcome=&limit= — newest first. */
export const PluginRunsQuery = lazyType(() =>
  type({
    'plugin?': 'string',
    'outcome?': RunOutcomeKind,
    'limit?': LimitParam,
  }).onUndeclaredKey('reject'),
);
export type PluginRunsQuery = typeof PluginRunsQuery.infer;
export const PluginRunsResponse = lazyType(() => type({ runs: PluginRunRecord.array() }));
export type PluginRunsResponse = typeof PluginRunsResponse.infer;
