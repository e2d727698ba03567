/**
 * The precompiled checks of the wire messages (compiled.js, generated from the arktype schemas by
 * scripts/compile-gates.mjs): a gate says only whether the schema of the same name accepts a value. It
 * loads no arktype and builds no schema, so a plugin that only speaks the protocol starts without them;
 * the words of a refusal come from the schema itself (checks.ts loads it for a refused value only).
 */
import { WELL_KNOWN_PAYLOAD_SCHEMAS, WELL_KNOWN_RESOURCE_KINDS } from '../constants.js';
import { narrows } from '../narrows.js';
import type { Event, EventDraft } from '../schemas/event.js';
import type {
  CancelledParams,
  InitializeParams,
  InitializeResult,
  MessageParams,
  PluginRequest,
  PluginResult,
  ProgressParams,
  PublishEnvelope,
  PublishResult,
} from '../schemas/messages.js';
import type {
  ClientIpv4Payload,
  DynamicPartOutcomePayload,
  ProviderActionOutcomePayload,
  ProviderActionPlannedPayload,
} from '../schemas/payloads.js';
import type { RemoteAddressClaim } from '../schemas/resources.js';
import { compileGates } from './compiled.js';

/** True exactly when the arktype schema of the same name accepts the value (tests hold them to it). */
export type Gate<T> = (value: unknown) => value is T;

const compiled = compileGates(narrows);
const gate = <T>(validate: (value: unknown) => boolean): Gate<T> => validate as Gate<T>;

export const gates = {
  InitializeParams: gate<InitializeParams>(compiled.InitializeParams),
  InitializeResult: gate<InitializeResult>(compiled.InitializeResult),
  PluginRequest: gate<PluginRequest>(compiled.PluginRequest),
  /** The envelope only: `pluginResultHolds` adds the second pass over payloads and resource kinds. */
  PluginResult: gate<PluginResult>(compiled.PluginResult),
  PublishEnvelope: gate<PublishEnvelope>(compiled.PublishEnvelope),
  PublishResult: gate<PublishResult>(compiled.PublishResult),
  CancelledParams: gate<CancelledParams>(compiled.CancelledParams),
  ProgressParams: gate<ProgressParams>(compiled.ProgressParams),
  MessageParams: gate<MessageParams>(compiled.MessageParams),
  PingResult: gate<object>(compiled.PingResult),
  ShutdownResult: gate<object>(compiled.ShutdownResult),
  Event: gate<Event>(compiled.Event),
  EventDraft: gate<EventDraft>(compiled.EventDraft),
  ClientIpv4Payload: gate<ClientIpv4Payload>(compiled.ClientIpv4Payload),
  DynamicPartOutcomePayload: gate<DynamicPartOutcomePayload>(compiled.DynamicPartOutcomePayload),
  ProviderActionPlannedPayload: gate<ProviderActionPlannedPayload>(compiled.ProviderActionPlannedPayload),
  ProviderActionOutcomePayload: gate<ProviderActionOutcomePayload>(compiled.ProviderActionOutcomePayload),
  RemoteAddressClaim: gate<RemoteAddressClaim>(compiled.RemoteAddressClaim),
} as const;

export type GateName = keyof typeof gates;

const payloadGates: Record<string, Gate<unknown> | undefined> = Object.fromEntries(
  Object.entries(WELL_KNOWN_PAYLOAD_SCHEMAS).map(([eventType, name]) => [eventType, gates[name]]),
);
const resourceGates: Record<string, Gate<unknown> | undefined> = Object.fromEntries(
  WELL_KNOWN_RESOURCE_KINDS.map((kind) => [kind, gates[kind]]),
);

/** Whether a well-known event type's payload fits its schema (any payload of another type does). */
export function payloadHolds(eventType: string, payload: unknown): boolean {
  return payloadGates[eventType]?.(payload) ?? true;
}

/** What checkPluginResult accepts: the result schema, then each well-known payload and resource kind. */
export function pluginResultHolds(value: unknown): value is PluginResult {
  if (!gates.PluginResult(value)) return false;
  const { events, resources } = value.status;
  return (
    (events ?? []).every((ev) => payloadHolds(ev.type, ev.payload)) &&
    (resources ?? []).every((res) => resourceGates[res.kind]?.(res) ?? true)
  );
}
