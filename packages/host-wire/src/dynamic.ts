/**
 * Dynamic config on the control API (docs/dynamic-config.md): the DynamicConfigParts plugins proposed,
 * the effective config they render to, and the (inert) action plans of active parts.
 */
import { ActionPlan, Directive, Metadata, Resource, Timestamp } from '@routerd/plugin-sdk';
import { type } from 'arktype';
import { lazyType } from './lazy-type.js';

/** The apiVersion of the host's own kinds that are not federation resources (DynamicConfigPart, DynamicOverridePolicy). */
export const API_VERSION_CONFIG = 'config.routerd.net/v1alpha1';

/** What an accepted plugin result becomes: resources, directives and action plans from one source. */
export const DynamicConfigPart = lazyType(() =>
  type({
    apiVersion: `'${API_VERSION_CONFIG}'`,
    kind: "'DynamicConfigPart'",
    metadata: Metadata,
    spec: {
      /** `EventSubscription/<name>` or `Plugin/<name>`. */
      source: 'string',
      /** Moves on when the content (its digest) changes, or the part comes back after a release. */
      generation: 'number.integer >= 1',
      observedAt: Timestamp,
      expiresAt: Timestamp.or('null'),
      /** sha256 of the content, the event-ids annotation left out. */
      digest: 'string',
      resources: Resource.array(),
      directives: Directive.array(),
      actionPlans: ActionPlan.array(),
    },
  }),
);
export type DynamicConfigPart = typeof DynamicConfigPart.infer;

/** released: by a release, an expiry or a replacement; kept for a while, never rendered. */
export const PartState = lazyType(() => type("'active' | 'released'"));
export type PartState = typeof PartState.infer;

export const PartSummary = lazyType(() =>
  type({
    name: 'string',
    source: 'string',
    generation: 'number',
    state: PartState,
    expiresAt: 'string | null',
    /** `Kind/name` of each resource. */
    resources: 'string[]',
    actionPlans: 'number',
  }),
);
export type PartSummary = typeof PartSummary.infer;
/** GET /v1/dynamic/parts */
export const DynamicPartsResponse = lazyType(() => type({ parts: PartSummary.array() }));
export type DynamicPartsResponse = typeof DynamicPartsResponse.infer;
/** GET /v1/dynamic/parts/:name — the whole DynamicConfigPart. */
export const DynamicPartResponse = lazyType(() => type({ state: PartState, part: DynamicConfigPart }));
export type DynamicPartResponse = typeof DynamicPartResponse.infer;

/** A startup resource hidden by a part's mask directive (allowed by a DynamicOverridePolicy). */
export const MaskedResource = lazyType(() =>
  type({ kind: 'string', name: 'string', by: 'string', reason: 'string' }),
);
export type MaskedResource = typeof MaskedResource.infer;
/** GET /v1/dynamic/render — effective config: startup + active dynamic − masks. */
export const RenderResponse = lazyType(() =>
  type({
    resources: Resource.array(),
    masked: MaskedResource.array(),
    /** The active parts that went in. */
    parts: 'string[]',
  }),
);
export type RenderResponse = typeof RenderResponse.infer;

export const ActionSummary = lazyType(() =>
  type({
    id: 'string',
    part: 'string',
    provider: 'string',
    action: 'string',
    target: 'Record<string, unknown>',
    idempotencyKey: 'string',
    status: "'planned'",
    executed: 'false',
  }),
);
export type ActionSummary = typeof ActionSummary.infer;
/** GET /v1/actions — plans of active dynamic parts; inert, never executed by this daemon. */
export const ActionsResponse = lazyType(() => type({ actions: ActionSummary.array() }));
export type ActionsResponse = typeof ActionsResponse.infer;
/** GET /v1/actions/:id — one plan, whole. */
export const ActionResponse = lazyType(() => type({ action: ActionSummary, plan: ActionPlan }));
export type ActionResponse = typeof ActionResponse.infer;
