import { type } from 'arktype';
import { API_VERSION_PLUGIN } from '../constants.js';
import { Diagnostic, Duration, JsonObject, Timestamp } from './common.js';
import { Event, EventDraft } from './event.js';
import { ActionPlan, Directive, Resource } from './resources.js';

export const Capability = type(
  "'observe.events' | 'propose.dynamicConfig' | 'propose.providerAction' | 'execute.providerAction'",
);
export type Capability = typeof Capability.infer;
export const CAPABILITIES: readonly Capability[] = [
  'observe.events',
  'propose.dynamicConfig',
  'propose.providerAction',
  'execute.providerAction',
];

const NameVersion = type({ name: 'string > 0', version: 'string > 0' });

export const Limits = type({
  maxMessageBytes: 'number.integer > 0',
  maxInFlight: 'number.integer > 0',
  defaultTimeoutMs: 'number.integer > 0',
});
export type Limits = typeof Limits.infer;

export const InitializeParams = type({
  protocolVersion: 'number.integer > 0',
  'supportedProtocolVersions?': 'number.integer[]',
  host: NameVersion,
  plugin: { name: 'string > 0' },
  grantedCapabilities: Capability.array(),
  config: JsonObject,
  limits: Limits,
  /**
   * The plan actions this host accepts in an actionPlan or its undo. A plugin leaves out what is not
   * listed (an undo it cannot take); absent, the host predates the list: PLAN_ACTIONS_UNSAID. Any string:
   * a newer host lists actions this SDK does not know, which a plugin cannot plan anyway.
   */
  'planActions?': 'string[]',
});
export type InitializeParams = typeof InitializeParams.infer;

export const InitializeResult = type({
  protocolVersion: 'number.integer > 0',
  plugin: NameVersion,
  'sdk?': NameVersion,
  capabilities: Capability.array(),
});
export type InitializeResult = typeof InitializeResult.infer;

export const Trigger = type({
  type: "'event' | 'interval' | 'manual'",
  'subscription?': 'string',
  'topic?': 'string',
});

export const PluginRequest = type({
  apiVersion: `'${API_VERSION_PLUGIN}'`,
  kind: "'PluginRequest'",
  metadata: { name: 'string > 0', requestId: 'string > 0' },
  spec: {
    trigger: Trigger,
    events: Event.array(),
    now: Timestamp,
    deadline: Timestamp,
  },
});
export type PluginRequest = typeof PluginRequest.infer;

export const PluginResultStatus = type({
  observedAt: Timestamp,
  /** How long the proposed output stays valid without a fresh run. */
  'ttl?': Duration,
  'resources?': Resource.array(),
  'directives?': Directive.array(),
  'actionPlans?': ActionPlan.array(),
  'events?': EventDraft.array(),
  'diagnostics?': Diagnostic.array(),
});

export const PluginResult = type({
  apiVersion: `'${API_VERSION_PLUGIN}'`,
  kind: "'PluginResult'",
  metadata: { 'name?': 'string', 'requestId?': 'string' },
  status: PluginResultStatus,
});
export type PluginResult = typeof PluginResult.infer;

export const PublishParams = type({ events: EventDraft.array().atLeastLength(1) });
export type PublishParams = typeof PublishParams.infer;
/**
 * What a host checks of `events/publish` before it judges each draft on its own (§7: one bad draft
 * does not cost the others). PublishParams is what a plugin must send; this is what a host must read.
 */
export const PublishEnvelope = type({ events: type('unknown[]').atLeastLength(1) });
export type PublishEnvelope = typeof PublishEnvelope.infer;
export const PublishResult = type({
  accepted: 'string[]',
  duplicates: 'string[]',
  rejected: type({ id: 'string', reason: 'string' }).array(),
});
export type PublishResult = typeof PublishResult.infer;

export const CancelledParams = type({ requestId: 'string | number', 'reason?': 'string' });
export type CancelledParams = typeof CancelledParams.infer;
export const ProgressParams = type({
  requestId: 'string | number',
  progress: 'number >= 0',
  'total?': 'number >= 0',
  'message?': 'string',
});
export type ProgressParams = typeof ProgressParams.infer;
export const MessageParams = type({
  level: "'debug' | 'info' | 'warn' | 'error'",
  'logger?': 'string',
  data: 'unknown',
});
export type MessageParams = typeof MessageParams.infer;

export const PingResult = type({});
export const ShutdownResult = type({});

/** A JSON-RPC error object as plugins and hosts send it. */
export const RpcError = type({ code: 'number.integer', message: 'string', 'data?': 'unknown' });
