import type { Type } from 'arktype';
import { Diagnostic } from './schemas/common.js';
import { Event, EventDraft } from './schemas/event.js';
import {
  CancelledParams,
  InitializeParams,
  InitializeResult,
  MessageParams,
  PluginRequest,
  PluginResult,
  ProgressParams,
  PublishParams,
  PublishResult,
} from './schemas/messages.js';
import {
  ClientIpv4Payload,
  DynamicPartOutcomePayload,
  ProviderActionOutcomePayload,
  ProviderActionPlannedPayload,
} from './schemas/payloads.js';
import { ActionPlan, Directive, RemoteAddressClaim, Resource } from './schemas/resources.js';

/**
 * Every published wire type, by the file name of its JSON Schema under packages/plugin-sdk/schema/.
 * scripts/generate-schemas.mjs writes them; CI fails if a committed file is stale.
 */
export const schemaCatalog: Record<string, Type<unknown>> = {
  'event.schema.json': Event as Type<unknown>,
  'event-draft.schema.json': EventDraft as Type<unknown>,
  'payload.client-ipv4.schema.json': ClientIpv4Payload as Type<unknown>,
  'payload.dynamic-part-outcome.schema.json': DynamicPartOutcomePayload as Type<unknown>,
  'payload.provider-action-planned.schema.json': ProviderActionPlannedPayload as Type<unknown>,
  'payload.provider-action-outcome.schema.json': ProviderActionOutcomePayload as Type<unknown>,
  'resource.schema.json': Resource as Type<unknown>,
  'remote-address-claim.schema.json': RemoteAddressClaim as Type<unknown>,
  'action-plan.schema.json': ActionPlan as Type<unknown>,
  'directive.schema.json': Directive as Type<unknown>,
  'diagnostic.schema.json': Diagnostic as Type<unknown>,
  'initialize-params.schema.json': InitializeParams as Type<unknown>,
  'initialize-result.schema.json': InitializeResult as Type<unknown>,
  'plugin-request.schema.json': PluginRequest as Type<unknown>,
  'plugin-result.schema.json': PluginResult as Type<unknown>,
  'publish-params.schema.json': PublishParams as Type<unknown>,
  'publish-result.schema.json': PublishResult as Type<unknown>,
  'cancelled-params.schema.json': CancelledParams as Type<unknown>,
  'progress-params.schema.json': ProgressParams as Type<unknown>,
  'message-params.schema.json': MessageParams as Type<unknown>,
};

export { toJsonSchema } from './json-schema.js';
