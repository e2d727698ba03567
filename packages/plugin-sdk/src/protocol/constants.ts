/** Protocol constants shared by plugins, the host and the conformance runner. */

/** The highest (and currently only) protocol major this SDK speaks. */
export const PROTOCOL_VERSION = 1;
export const SUPPORTED_PROTOCOL_VERSIONS: readonly number[] = [1];

/**
 * Set by the host before exec. A plugin started without it was started by hand: it says what it is
 * and exits 1 (the go-plugin idea — stops a confused operator from typing JSON into a plugin).
 */
export const MAGIC_COOKIE_KEY = 'ROUTERD_PLUGIN_MAGIC_COOKIE';
export const MAGIC_COOKIE_VALUE = 'c2b9e4b1-routerd-plugin-protocol';

export const DEFAULT_MAX_MESSAGE_BYTES = 8 * 1024 * 1024;
export const DEFAULT_MAX_IN_FLIGHT = 8;
export const DEFAULT_TIMEOUT_MS = 10_000;
/** A plugin must exit within this long after its stdin closes. */
export const EXIT_AFTER_EOF_MS = 2_000;
/** After a cancel, how long the host waits for the plugin to stop before killing its process group. */
export const CANCEL_GRACE_MS = 2_000;
export const HANDSHAKE_TIMEOUT_MS = 10_000;

export const MAX_EVENT_BYTES = 64 * 1024;
/**
 * How deep a free-form JSON object of the protocol (an event's payload, a resource's spec, a plugin's
 * config) may nest: `{}` is 1 level, `{"a": [1]}` 2. Deeper values are refused where they enter. Walking or
 * writing a value thousands of levels deep exhausts the stack (a 500 where a refusal was due, and a
 * batch its sender retries for ever), and SQLite's JSON functions refuse more than 1000 levels.
 */
export const MAX_JSON_DEPTH = 32;

export const Methods = {
  initialize: 'initialize',
  initialized: 'notifications/initialized',
  ping: 'ping',
  shutdown: 'shutdown',
  run: 'plugin/run',
  publish: 'events/publish',
  cancelled: 'notifications/cancelled',
  progress: 'notifications/progress',
  message: 'notifications/message',
} as const;

export const API_VERSION_PLUGIN = 'plugin.routerd.net/v1alpha1';
export const API_VERSION_NET = 'net.routerd.net/v1alpha1';

export const EventTypes = {
  clientIpv4Observed: 'routerd.client.ipv4.observed',
  clientIpv4Expired: 'routerd.client.ipv4.expired',
  dynamicPartAccepted: 'routerd.dynamic.part.accepted',
  dynamicPartRejected: 'routerd.dynamic.part.rejected',
  providerActionPlanned: 'routerd.provider.action.planned',
  /** A provider action the cloud now shows done (verified, or found already done): capture-ready. */
  providerActionSucceeded: 'routerd.provider.action.succeeded',
  /** A provider action that did not happen (failed, or the address is held elsewhere: never seized). */
  providerActionFailed: 'routerd.provider.action.failed',
} as const;

/**
 * The well-known event types whose payload has a schema of its own, by the name of that schema. Said
 * once, for the arktype table (schemas/payloads.ts) and the precompiled gates (gates/index.ts) alike;
 * unknown types accept any JSON object.
 */
export const WELL_KNOWN_PAYLOAD_SCHEMAS = {
  [EventTypes.clientIpv4Observed]: 'ClientIpv4Payload',
  [EventTypes.clientIpv4Expired]: 'ClientIpv4Payload',
  [EventTypes.dynamicPartAccepted]: 'DynamicPartOutcomePayload',
  [EventTypes.dynamicPartRejected]: 'DynamicPartOutcomePayload',
  [EventTypes.providerActionPlanned]: 'ProviderActionPlannedPayload',
  [EventTypes.providerActionSucceeded]: 'ProviderActionOutcomePayload',
  [EventTypes.providerActionFailed]: 'ProviderActionOutcomePayload',
} as const;

/** Resource kinds checked again by a schema of their own (of the same name) when a plugin proposes one. */
export const WELL_KNOWN_RESOURCE_KINDS = ['RemoteAddressClaim'] as const;

/** Every plan action, oldest first: the PlanAction schema, and what a host says it accepts at initialize. */
export const PLAN_ACTIONS = [
  'assign-secondary-ip',
  'unassign-secondary-ip',
  'ensure-forwarding-enabled',
  'restore-forwarding',
] as const;
/**
 * What a host accepts that does not say (`initialize` without `planActions`): hosts from before the list
 * was negotiated, which refuse a plan or undo naming any later action (`restore-forwarding`).
 */
export const PLAN_ACTIONS_UNSAID: readonly (typeof PLAN_ACTIONS)[number][] = PLAN_ACTIONS.slice(0, 3);

/** The actions of a host's `planActions` that this SDK knows (a newer host may list more). */
export function knownPlanActions(
  said: readonly string[] | undefined,
): readonly (typeof PLAN_ACTIONS)[number][] {
  if (said === undefined) return PLAN_ACTIONS_UNSAID;
  return PLAN_ACTIONS.filter((action) => said.includes(action));
}
