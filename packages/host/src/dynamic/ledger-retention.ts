import { type BackgroundLog, runBackground } from '../background.js';
import type { DynamicStore } from '../store/dynamic-parts.js';
import type { SubscriptionRunStore } from '../store/subscription-runs.js';

/**
 * Bounded ledgers for dynamic config: released and expired parts, and handled subscription-run rows
 * (once their events are gone), older than `maxAgeMs`, are removed every `everyMs`.
 */
export function startLedgerRetention(o: {
  dynamic: DynamicStore;
  runs: SubscriptionRunStore;
  now: () => number;
  log: BackgroundLog;
  maxAgeMs?: number;
  everyMs?: number;
}): () => void {
  const maxAge = o.maxAgeMs ?? 7 * 24 * 3_600_000;
  const prune = () => {
    const now = o.now();
    o.dynamic.prune(now - maxAge, now);
    o.runs.prune(now - maxAge);
  };
  prune();
  const timer = setInterval(() => runBackground('ledger retention', o.log, prune), o.everyMs ?? 60_000);
  timer.unref();
  return () => clearInterval(timer);
}
