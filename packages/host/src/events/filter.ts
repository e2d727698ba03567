import { EventType, Name } from '@routerd/plugin-sdk';
import { type } from 'arktype';

import { MAX_LIST_LIMIT } from './limits.js';

export { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from './limits.js';

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
