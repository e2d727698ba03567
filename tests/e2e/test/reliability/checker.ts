/**
 * The reliability checker: after quiescence, compare the sender's and the receiver's SQLite stores (read
 * only, beside the running daemons — WAL lets a reader in) and classify every event the workload had
 * acknowledged. Modelled on Jepsen's total-queue checker: lost, unexpected, duplicated.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
// The host's SQLite (same version, one native build), read only beside the running daemons.
import Database from 'better-sqlite3';

interface StoredRow {
  id: string;
  source_node: string;
  payload: string;
  expires_at_ms: number | null;
  stored_at_ms: number;
}

interface DeliveryRow {
  event_id: string;
  status: 'pending' | 'delivered' | 'failed' | 'expired';
}

export interface StoreSnapshot {
  events: Map<string, StoredRow>;
  /** ids that appear more than once (the UNIQUE constraint should make this always empty). */
  duplicateIds: string[];
  deliveries: Map<string, DeliveryRow['status']>;
}

export function readStore(stateDir: string, peer?: string): StoreSnapshot {
  const db = new Database(join(stateDir, 'routerd.db'), { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare('SELECT id, source_node, payload, expires_at_ms, stored_at_ms FROM events')
      .all() as StoredRow[];
    const duplicateIds = (
      db.prepare('SELECT id FROM events GROUP BY id HAVING COUNT(*) > 1').all() as { id: string }[]
    ).map((r) => r.id);
    const deliveries = db
      .prepare(`SELECT event_id, status FROM deliveries ${peer ? 'WHERE peer = ?' : ''}`)
      .all(...(peer ? [peer] : [])) as DeliveryRow[];
    return {
      events: new Map(rows.map((r) => [r.id, r])),
      duplicateIds,
      deliveries: new Map(deliveries.map((d) => [d.event_id, d.status])),
    };
  } finally {
    db.close();
  }
}

export interface CheckInput {
  senderStateDir: string;
  receiverStateDir: string;
  senderNode: string;
  /** The receiver's peer name in the sender's config (its delivery rows). */
  peer: string;
  /** Every id whose emit the sender's control API acknowledged (status stored). */
  acknowledged: Iterable<string>;
  /** Ids the test itself injected at the receiver (hand-signed requests): not counted as unexpected. */
  injected?: Iterable<string>;
}

export interface CheckResult {
  acknowledged: number;
  delivered: number;
  /** Acknowledged, not expired, not dropped by retention — and not at the receiver. */
  lost: string[];
  /** At the receiver from this sender, but never acknowledged by it (forged, or invented). */
  unexpected: string[];
  /** Stored twice at the receiver (impossible by the UNIQUE index — checked anyway) or on the sender. */
  duplicated: string[];
  /** Stored at the receiver at or after its expiresAt. */
  expiredDelivered: string[];
  /** At both ends with a different payload: a corrupted copy. */
  corrupted: string[];
  /** Acknowledged and expired before delivery (status expired, or expired while still pending). */
  expired: number;
  /** Acknowledged, removed from the sender by retention before delivery, never received. */
  dropped: number;
  /** Acknowledged, failed permanently on the sender (a refusal), never received. */
  failed: number;
}

export function check(input: CheckInput): CheckResult {
  const sender = readStore(input.senderStateDir, input.peer);
  const receiver = readStore(input.receiverStateDir);
  const acknowledged = new Set(input.acknowledged);
  const injected = new Set(input.injected ?? []);
  const out: CheckResult = {
    acknowledged: acknowledged.size,
    delivered: 0,
    lost: [],
    unexpected: [],
    duplicated: [...sender.duplicateIds, ...receiver.duplicateIds],
    expiredDelivered: [],
    corrupted: [],
    expired: 0,
    dropped: 0,
    failed: 0,
  };
  const now = Date.now();
  for (const id of acknowledged) {
    const got = receiver.events.get(id);
    const mine = sender.events.get(id);
    const status = sender.deliveries.get(id);
    if (got) {
      out.delivered++;
      if (mine && mine.payload !== got.payload) out.corrupted.push(id);
      continue;
    }
    if (!mine) out.dropped++;
    else if (status === 'expired' || (mine.expires_at_ms !== null && mine.expires_at_ms <= now))
      out.expired++;
    else if (status === 'failed') out.failed++;
    else out.lost.push(id); // delivered on the sender but missing, or still pending after quiescence
  }
  for (const [id, row] of receiver.events) {
    if (row.expires_at_ms !== null && row.stored_at_ms >= row.expires_at_ms) out.expiredDelivered.push(id);
    if (row.source_node === input.senderNode && !acknowledged.has(id) && !injected.has(id))
      out.unexpected.push(id);
  }
  return out;
}

/** The pass criterion every scenario shares; returns the problems found (empty = pass). */
export function problems(r: CheckResult, opts: { allowFailed?: boolean } = {}): string[] {
  const p: string[] = [];
  const list = (name: string, ids: string[]) => {
    if (ids.length)
      p.push(`${ids.length} ${name}: ${ids.slice(0, 5).join(', ')}${ids.length > 5 ? '…' : ''}`);
  };
  list('lost', r.lost);
  list('unexpected', r.unexpected);
  list('duplicated', r.duplicated);
  list('expired but delivered', r.expiredDelivered);
  list('corrupted', r.corrupted);
  if (r.failed && !opts.allowFailed) p.push(`${r.failed} failed permanently`);
  return p;
}

export interface ResourceSample {
  pid: number;
  rssKiB: number;
  fds: number;
}

/** RSS from /proc/<pid>/status and the count of /proc/<pid>/fd. */
export function sample(pid: number): ResourceSample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  return { pid, rssKiB: rss ? Number(rss[1]) : 0, fds: readdirSync(`/proc/${pid}/fd`).length };
}

/** Bounds for one process between two samples: growth beyond these means a leak worth a look. */
export const RSS_GROWTH_LIMIT_KIB = 96 * 1024;
export const FD_GROWTH_LIMIT = 24;

export function resourceProblems(name: string, before: ResourceSample, after: ResourceSample): string[] {
  const p: string[] = [];
  if (after.rssKiB - before.rssKiB > RSS_GROWTH_LIMIT_KIB)
    p.push(`${name}: RSS grew ${before.rssKiB} → ${after.rssKiB} KiB`);
  if (after.fds - before.fds > FD_GROWTH_LIMIT) p.push(`${name}: fds grew ${before.fds} → ${after.fds}`);
  return p;
}

/** SQLite's own integrity check of a store ("ok" when sound). */
export function readStoreIntegrity(stateDir: string): string {
  const db = new Database(join(stateDir, 'routerd.db'), { readonly: true, fileMustExist: true });
  try {
    return (db.pragma('integrity_check', { simple: true }) as string) ?? '';
  } finally {
    db.close();
  }
}
