/**
 * The `plugin_runs` table: one row per plugin run (every trigger, dry runs included), bounded by a
 * count and an age (store/retention.ts). Knows SQL and the run record, nothing about processes or HTTP.
 */

import type { PluginRunRecord, PluginRunsQuery, RunOutcomeKind } from '@routerd/host-wire';
import { MAX_STORED_TEXT_BYTES, truncateUtf8 } from '@routerd/plugin-sdk/client';
import type { Database, Statement } from 'better-sqlite3';
import type { Migration } from './migrations.js';
import { relaxedCommitter } from './relaxed-commit.js';
import { statementCache } from './statement-cache.js';

export const pluginRunMigrations: Migration[] = [
  {
    version: 20,
    name: 'plugin_runs',
    up: `
      CREATE TABLE plugin_runs (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL UNIQUE,
        plugin TEXT NOT NULL,
        trigger_type TEXT NOT NULL,
        subscription TEXT,
        topic TEXT,
        request_name TEXT NOT NULL,
        dry_run INTEGER NOT NULL,
        started_at TEXT NOT NULL,
        started_ms INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        event_count INTEGER NOT NULL,
        error_code TEXT,
        error_message TEXT,
        capability TEXT,
        exit_code INTEGER,
        signal TEXT,
        stderr_tail TEXT
      );
      CREATE INDEX plugin_runs_plugin_seq ON plugin_runs (plugin, seq);
      CREATE INDEX plugin_runs_started_ms ON plugin_runs (started_ms);
    `,
  },
  {
    version: 41,
    name: 'plugin_runs_left_behind',
    up: 'ALTER TABLE plugin_runs ADD COLUMN left_behind TEXT',
  },
];

/**
 * The stderr kept per run: enough for a stack trace, small enough for 10,000 rows. Other text a plugin
 * controls (an error message, a capability name, what it left running) is kept up to
 * MAX_STORED_TEXT_BYTES (2 KiB) with "… (truncated, N bytes)".
 */
export const STDERR_TAIL_BYTES = 8 * 1024;
/** A `plugin_runs` row as stored; `list` maps it into the control API's PluginRunRecord. */
interface Row {
  run_id: string;
  plugin: string;
  trigger_type: PluginRunRecord['trigger'];
  subscription: string | null;
  topic: string | null;
  request_name: string;
  dry_run: number;
  started_at: string;
  duration_ms: number;
  outcome: RunOutcomeKind;
  event_count: number;
  error_code: string | null;
  error_message: string | null;
  capability: string | null;
  exit_code: number | null;
  signal: string | null;
  stderr_tail: string | null;
  left_behind: string | null;
}

export class PluginRunStore {
  private readonly insertStmt: Statement;
  /**
   * A run's record is its history (`routerctl plugin runs`), written between the plugin's answer and the
   * result being applied: it does not wait for the disk. A power cut can lose the last records, never a
   * run's effect (docs/federation.md § Durability).
   */
  private readonly relaxed: <T>(write: () => T) => T;

  /** The list queries (one SQL text per combination of filters) and the count, each prepared once. */
  private readonly stmt: (sql: string) => Statement;

  constructor(db: Database) {
    this.relaxed = relaxedCommitter(db);
    this.stmt = statementCache(db);
    this.insertStmt = db.prepare(`
      INSERT INTO plugin_runs (run_id, plugin, trigger_type, subscription, topic, request_name, dry_run,
        started_at, started_ms, duration_ms, outcome, event_count, error_code, error_message, capability,
        exit_code, signal, stderr_tail, left_behind)
      VALUES (@runId, @plugin, @trigger, @subscription, @topic, @requestName, @dryRun, @startedAt,
        @startedMs, @durationMs, @outcome, @events, @errorCode, @errorMessage, @capability, @exitCode,
        @signal, @stderrTail, @leftBehind)`);
  }

  insert(record: PluginRunRecord): void {
    const row = {
      ...record,
      dryRun: record.dryRun ? 1 : 0,
      startedMs: Date.parse(record.startedAt),
      durationMs: Math.round(record.durationMs),
      errorMessage: bounded(record.errorMessage),
      capability: bounded(record.capability),
      stderrTail: record.stderrTail === null ? null : tailBytes(record.stderrTail, STDERR_TAIL_BYTES),
      leftBehind: bounded(record.leftBehind),
    };
    this.relaxed(() => this.insertStmt.run(row));
  }

  /** Newest first. */
  list(query: PluginRunsQuery = {}): PluginRunRecord[] {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: query.limit ?? 100 };
    if (query.plugin !== undefined) {
      where.push('plugin = @plugin');
      params.plugin = query.plugin;
    }
    if (query.outcome !== undefined) {
      where.push('outcome = @outcome');
      params.outcome = query.outcome;
    }
    const sql = `SELECT * FROM plugin_runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT @limit`;
    return (this.stmt(sql).all(params) as Row[]).map(toRecord);
  }

  count(): number {
    return (this.stmt('SELECT COUNT(*) AS n FROM plugin_runs').get() as { n: number }).n;
  }
}

function toRecord(r: Row): PluginRunRecord {
  return {
    runId: r.run_id,
    plugin: r.plugin,
    trigger: r.trigger_type,
    subscription: r.subscription,
    topic: r.topic,
    requestName: r.request_name,
    dryRun: r.dry_run === 1,
    startedAt: r.started_at,
    durationMs: r.duration_ms,
    outcome: r.outcome,
    events: r.event_count,
    errorCode: r.error_code,
    errorMessage: r.error_message,
    capability: r.capability,
    exitCode: r.exit_code,
    signal: r.signal,
    stderrTail: r.stderr_tail,
    leftBehind: r.left_behind,
  };
}

function bounded(text: string | null): string | null {
  return text === null ? null : truncateUtf8(text, MAX_STORED_TEXT_BYTES);
}

/** The last `max` bytes of a string as UTF-8, without splitting a character. */
export function tailBytes(text: string, max: number): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= max) return text;
  let start = buf.length - max;
  // Skip continuation bytes (10xxxxxx) so the tail starts on a character boundary.
  while (start < buf.length && (buf[start]! & 0xc0) === 0x80) start++;
  return buf.subarray(start).toString('utf8');
}
