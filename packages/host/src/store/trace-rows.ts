/**
 * What `routerctl trace` reads: the rows of every ledger that one observation's journey touched on this
 * node — its trace's events (by the trace id index of migration 54), their deliveries, subscription and
 * plugin runs, the dynamic parts that cite them, their claims and the executions of their plans. Reads
 * only; knows SQL, nothing about timelines or HTTP.
 */
import { EventTypes } from '@routerd/plugin-sdk';
import type { Database, Statement } from 'better-sqlite3';
import { statementCache } from './statement-cache.js';

export interface TraceEventRow {
  id: string;
  group_name: string;
  source_node: string;
  type: string;
  subject: string | null;
  payload: string;
  observed_at: string;
  stored_at_ms: number;
  traceparent: string | null;
  tracestate: string | null;
}

export interface TraceDeliveryRow {
  event_id: string;
  peer: string;
  status: 'pending' | 'delivered' | 'failed' | 'expired';
  attempts: number;
  enqueued_ms: number;
  updated_ms: number;
  delivered_ms: number | null;
  last_status: number | null;
  last_error: string | null;
}

export interface TraceRunRow {
  subscription: string;
  event_id: string;
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'expired';
  attempts: number;
  last_error: string | null;
  last_run_id: string | null;
  created_ms: number;
  updated_ms: number;
  /** The plugin run, when one is recorded under last_run_id. */
  plugin: string | null;
  started_ms: number | null;
  duration_ms: number | null;
  outcome: string | null;
  error_message: string | null;
}

export interface TracePartRow {
  name: string;
  state: 'active' | 'released';
  generation: number;
  body: string;
  updated_ms: number;
}

export interface TraceClaimRow {
  domain: string;
  address: string;
  owner_node: string;
  subscription: string;
  part: string;
  state: 'active' | 'releasing' | 'released';
  updated_ms: number;
}

export interface TraceExecutionRow {
  id: string;
  idempotency_key: string;
  state: string;
  reason: string | null;
  approved_by: string | null;
  created_ms: number;
  updated_ms: number;
  finished_ms: number | null;
}

const EVENT_COLUMNS =
  'id, group_name, source_node, type, subject, payload, observed_at, stored_at_ms, traceparent, tracestate';

export class TraceRows {
  private readonly stmt: (sql: string) => Statement;

  constructor(db: Database) {
    this.stmt = statementCache(db);
  }

  event(id: string): TraceEventRow | undefined {
    return this.stmt(`SELECT ${EVENT_COLUMNS} FROM events WHERE id = ?`).get(id) as TraceEventRow | undefined;
  }

  /**
   * The newest observation (or expiry) of an address, `10.88.60.9/32`, walked through the type index: by
   * its subject (the ARP observer sets it) or its payload's address (an event emitted without a subject).
   */
  newestObservation(address: string): TraceEventRow | undefined {
    return this.stmt(`SELECT ${EVENT_COLUMNS} FROM events INDEXED BY events_type_seq
      WHERE type IN (?, ?) AND (subject = ? OR json_extract(payload, '$.address') = ?)
      ORDER BY seq DESC LIMIT 1`).get(
      EventTypes.clientIpv4Observed,
      EventTypes.clientIpv4Expired,
      address,
      address,
    ) as TraceEventRow | undefined;
  }

  /**
   * The events of a trace that something else in it caused (they carry a tracestate naming their cause's
   * span; migration 54 indexes only those), in the order they were stored.
   */
  causedInTrace(traceId: string, limit: number): TraceEventRow[] {
    return this.stmt(`SELECT ${EVENT_COLUMNS} FROM events
      WHERE substr(traceparent, 4, 32) = ? AND tracestate IS NOT NULL ORDER BY seq LIMIT ?`).all(
      traceId,
      limit,
    ) as TraceEventRow[];
  }

  deliveries(eventId: string): TraceDeliveryRow[] {
    return this.stmt(`SELECT event_id, peer, status, attempts, enqueued_ms, updated_ms, delivered_ms, last_status,
      last_error FROM deliveries WHERE event_id = ? ORDER BY peer`).all(eventId) as TraceDeliveryRow[];
  }

  subscriptionRuns(eventId: string): TraceRunRow[] {
    // subscription_runs is keyed (subscription, event_id): the event id alone walks the table, which
    // retention keeps to a week of rows; a trace is read by an operator, not on a busy path.
    return this.stmt(`SELECT r.subscription, r.event_id, r.status, r.attempts, r.last_error, r.last_run_id,
        r.created_ms, r.updated_ms, p.plugin, p.started_ms, p.duration_ms, p.outcome, p.error_message
      FROM subscription_runs r LEFT JOIN plugin_runs p ON p.run_id = r.last_run_id
      WHERE r.event_id = ? ORDER BY r.subscription`).all(eventId) as TraceRunRow[];
  }

  /** Parts whose resources name the event in their event-ids annotation (a cheap text match first). */
  partsCiting(eventId: string): TracePartRow[] {
    return this.stmt(`SELECT name, state, generation, body, updated_ms FROM dynamic_parts
      WHERE instr(body, ?) > 0 ORDER BY updated_ms`).all(eventId) as TracePartRow[];
  }

  claimsOfPart(part: string): TraceClaimRow[] {
    return this.stmt(`SELECT domain, address, owner_node, subscription, part, state, updated_ms
      FROM address_claims WHERE part = ?`).all(part) as TraceClaimRow[];
  }

  executions(idempotencyKey: string): TraceExecutionRow[] {
    return this.stmt(`SELECT id, idempotency_key, state, reason, approved_by, created_ms, updated_ms, finished_ms
      FROM action_executions WHERE idempotency_key = ? ORDER BY seq`).all(
      idempotencyKey,
    ) as TraceExecutionRow[];
  }
}
