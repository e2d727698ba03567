import type { Event } from '@routerd/plugin-sdk';
import type { EventSubscription } from '../config/index.js';
import { matchesTypesAndSubjects } from '../events/type-pattern.js';

/**
 * Does an event match a subscription? Every non-empty criterion must hold: type (exact or trailing `*`),
 * subject prefix, source node, and each `payload` key equal to the given value.
 */
export function matchesSubscription(event: Event, match: EventSubscription['spec']['match']): boolean {
  if (!matchesTypesAndSubjects(event, match.types, match.subjectPrefixes)) return false;
  if (match.sourceNodes.length > 0 && !match.sourceNodes.includes(event.sourceNode)) return false;
  for (const [key, want] of Object.entries(match.payload)) {
    if (event.payload[key] !== want) return false;
  }
  return true;
}
