import { EventType, Name } from '@routerd/plugin-sdk';
import { type } from 'arktype';

export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 10_000;

/** What a reader may ask of the event store. Shared by the store, the control API and routerctl. */
export const EventFilter = type({
  'type?': EventType,
  'sourceNode?': Name,
  'group?': Name,
  /** Expired events are hidden unless asked for: they are never delivered or matched. */
  'includeExpired?': 'boolean',
  'limit?': type(`1 <= number.integer <= ${MAX_LIST_LIMIT}`),
});
export type EventFilter = typeof EventFilter.infer;
