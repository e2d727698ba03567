import type { EventSubscription } from '../config/index.js';
import type { SubscriptionRunStore } from '../store/subscription-runs.js';
import { matchesSubscription } from './match.js';

export interface Backfill {
  /** Event ids newly in the ledger as pending, oldest first: queue them like fresh matches. */
  queued: string[];
  /** More matching events were waiting than `spec.backfill.maxEvents`. */
  truncated: boolean;
}

/**
 * A subscription's share of what was stored before it could see it: live events in its group that it
 * matches and has no ledger row for (it did not exist when they arrived, or matched less), oldest
 * first, at most `spec.backfill.maxEvents`. The ledger is what keeps this from running anything twice:
 * an event the subscription ever admitted — handled, failed, expired — has a row and is not picked.
 */
export function backfill(runs: SubscriptionRunStore, sub: EventSubscription, now: number): Backfill {
  const { maxEvents } = sub.spec.backfill;
  if (maxEvents === 0) return { queued: [], truncated: false };
  const name = sub.metadata.name;
  const picked: string[] = [];
  let truncated = false;
  // Collected first, admitted after: the cursor must be closed before the ledger is written.
  for (const event of runs.unseenLiveEvents(name, sub.spec.groupRef, now)) {
    if (!matchesSubscription(event, sub.spec.match)) continue;
    if (picked.length === maxEvents) {
      truncated = true;
      break;
    }
    picked.push(event.id);
  }
  return { queued: runs.admitAll(name, picked, now), truncated };
}
