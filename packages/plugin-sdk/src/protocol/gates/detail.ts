/**
 * The words for a value a gate refused, from the arktype schema of the same name. Loaded by checks.ts
 * only when a gate refuses something, so arktype and the schemas are built then and not before.
 */
import type { Type } from 'arktype';
import { checkPluginResult } from '../result-checks.js';
import { Event, EventDraft } from '../schemas/event.js';
import {
  CancelledParams,
  InitializeParams,
  InitializeResult,
  MessageParams,
  PingResult,
  PluginRequest,
  PluginResult,
  ProgressParams,
  PublishEnvelope,
  PublishResult,
  ShutdownResult,
} from '../schemas/messages.js';
import {
  ClientIpv4Payload,
  DynamicPartOutcomePayload,
  ProviderActionOutcomePayload,
  ProviderActionPlannedPayload,
} from '../schemas/payloads.js';
import { RemoteAddressClaim } from '../schemas/resources.js';
import { type Validation, validate } from '../validate.js';
import type { GateName } from './index.js';

const schemas = {
  InitializeParams,
  InitializeResult,
  PluginRequest,
  PluginResult,
  PublishEnvelope,
  PublishResult,
  CancelledParams,
  ProgressParams,
  MessageParams,
  PingResult,
  ShutdownResult,
  Event,
  EventDraft,
  ClientIpv4Payload,
  DynamicPartOutcomePayload,
  ProviderActionPlannedPayload,
  ProviderActionOutcomePayload,
  RemoteAddressClaim,
} as Record<GateName, Type<unknown>>;

/**
 * The schema's own verdict. A refused plugin result also goes through the second pass (payloads and
 * resource kinds), as its gate did. Where the schema accepts what the gate refused, the schema is right.
 */
export function describeRefusal(name: GateName, raw: unknown): Validation<unknown> {
  return name === 'PluginResult' ? checkPluginResult(raw) : validate(schemas[name], raw);
}
