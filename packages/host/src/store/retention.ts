/**
 * Retention: which rows go, decided once and applied exactly. `plan()` is what
 * `routerctl federation event prune --dry-run` shows; `apply(plan)` deletes exactly those rows, in
 * short transactions so the writer lock is never held for long.
 */
import type { Database } from 'better-sqlite3';

export interface GroupRetention {
  group: string;
  maxAgeMs: number;
  maxEvents: number;
}

export interface PrunePlan {
  /** Events to delete, with why. */
  events: {
    id: string;
    group: string;
    type: string;
    reason: 'expired' | 'max-age' | 'max-events';
    undelivered: boolean;
  }[];
  /** Terminal delivery rows of events that stay but are older than the ledger retention. */
  deliveryRowsBefore: number;
  /** Receiver replay-window records older than this are dropped. */
  webhooksBefore: number;
}

export interface PruneResult {
  events: number;
  undelivered: number;
  deliveries: number;
  webhooks: number;
}

export const PRUNE_CHUNK = 5000;
/** An expired event is kept this long after expiry, so a late duplicate is still recognised as one. */
export const EXPIRED_GRACE_MS = 5 * 60_000;

export class RetentionStore {
  constructor(private readonly db: Database) {}

  plan(
    groups: readonly GroupRetention[],
    now: number,
    ledgerMaxAgeMs: number,
    replayWindowMs: number,
  ): PrunePlan {
    const events: PrunePlan['events'] = [];
    const hasPending = this.db.prepare(
      `SELECT 1 FROM deliveries WHERE event_id = ? AND status = 'pending' LIMIT 1`,
    );
    for (const g of groups) {
      const picked = new Map<string, { type: string; reason: PrunePlan['events'][number]['reason'] }>();
      const expired = this.db
        .prepare(
          'SELECT id, type FROM events WHERE group_name = ? AND expires_at_ms IS NOT NULL AND expires_at_ms <= ?',
        )
        .all(g.group, now - EXPIRED_GRACE_MS) as { id: string; type: string }[];
      for (const r of expired) picked.set(r.id, { type: r.type, reason: 'expired' });
      const old = this.db
        .prepare('SELECT id, type FROM events WHERE group_name = ? AND stored_at_ms <= ?')
        .all(g.group, now - g.maxAgeMs) as { id: string; type: string }[];
      for (const r of old) if (!picked.has(r.id)) picked.set(r.id, { type: r.type, reason: 'max-age' });
      const excess = this.db
        .prepare('SELECT id, type FROM events WHERE group_name = ? ORDER BY seq DESC LIMIT -1 OFFSET ?')
        .all(g.group, g.maxEvents) as { id: string; type: string }[];
      for (const r of excess) if (!picked.has(r.id)) picked.set(r.id, { type: r.type, reason: 'max-events' });
      for (const [id, v] of picked) {
        events.push({
          id,
          group: g.group,
          type: v.type,
          reason: v.reason,
          undelivered: v.reason !== 'expired' && hasPending.get(id) !== undefined,
        });
      }
    }
    return { events, deliveryRowsBefore: now - ledgerMaxAgeMs, webhooksBefore: now - 2 * replayWindowMs };
  }

  apply(plan: PrunePlan): PruneResult {
    const delEvent = this.db.prepare('DELETE FROM events WHERE id = ?');
    const delDeliveries = this.db.prepare('DELETE FROM deliveries WHERE event_id = ?');
    let events = 0;
    for (let i = 0; i < plan.events.length; i += PRUNE_CHUNK) {
      const chunk = plan.events.slice(i, i + PRUNE_CHUNK);
      this.db.transaction(() => {
        for (const e of chunk) {
          delDeliveries.run(e.id);
          events += delEvent.run(e.id).changes;
        }
      })();
    }
    const deliveries = this.db
      .prepare(
        `DELETE FROM deliveries WHERE status IN ('delivered', 'failed', 'expired') AND updated_ms <= ?`,
      )
      .run(plan.deliveryRowsBefore).changes;
    const webhooks = this.db
      .prepare('DELETE FROM received_webhooks WHERE received_ms <= ?')
      .run(plan.webhooksBefore).changes;
    return { events, undelivered: plan.events.filter((e) => e.undelivered).length, deliveries, webhooks };
  }
}
