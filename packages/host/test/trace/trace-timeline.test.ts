import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childTraceContext, EventTypes, newTraceContext, type TraceContext } from '@routerd/plugin-sdk';
import { describe, expect, it } from 'vitest';
import { traceTimeline } from '../../src/control/trace-timeline.js';
import { openDatabase } from '../../src/store/database.js';
import { TraceRows } from '../../src/store/trace-rows.js';

// Where a chain stopped, read from a real state database whose ledgers hold what the daemon writes for
// a run that failed, a result that was refused and a plan waiting for approval (rows in the schema's own
// columns; the two-daemon test in tests/e2e/test/trace.test.ts drives the whole journey for real).
const T0 = Date.parse('2026-12-01T06:00:00Z');
const CLOUD = new Set(['cloud']);

function fresh() {
  const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'routerd-trace-')), 'routerd.db'));
  const rows = new TraceRows(db);
  const event = (
    id: string,
    type: string,
    source: string,
    storedMs: number,
    trace: TraceContext,
    payload = {},
  ) =>
    db
      .prepare(`INSERT INTO events (id, group_name, source_node, type, payload, observed_at, stored_at_ms,
        traceparent, tracestate) VALUES (?, 'edge', ?, ?, ?, ?, ?, ?, ?)`)
      .run(
        id,
        source,
        type,
        JSON.stringify(payload),
        new Date(T0).toISOString(),
        storedMs,
        trace.traceparent,
        trace.tracestate ?? null,
      );
  const run = (eventId: string, status: string, error: string | null, outcome: string) => {
    db.prepare(`INSERT INTO subscription_runs (subscription, event_id, status, attempts, next_attempt_ms, last_error,
      last_run_id, created_ms, updated_ms) VALUES ('onprem-clients', ?, ?, 1, ?, ?, 'run-1', ?, ?)`).run(
      eventId,
      status,
      T0 + 100,
      error,
      T0 + 60,
      T0 + 400,
    );
    db.prepare(`INSERT INTO plugin_runs (run_id, plugin, trigger_type, subscription, request_name, dry_run, started_at,
      started_ms, duration_ms, outcome, event_count, error_message) VALUES ('run-1', 'claims', 'event', 'onprem-clients',
      'r', 0, ?, ?, 250, ?, 1, ?)`).run(new Date(T0 + 100).toISOString(), T0 + 100, outcome, error);
  };
  const root = () => rows.event('obs-1')!;
  return { db, rows, event, run, root };
}

const observe = (f: ReturnType<typeof fresh>) => {
  const trace = newTraceContext();
  f.event('obs-1', EventTypes.clientIpv4Observed, 'onprem', T0 + 50, trace, { address: '10.88.60.9/32' });
  return trace;
};

describe('trace timeline: where a chain stopped', () => {
  it('at a failed plugin run, with its error', () => {
    const f = fresh();
    observe(f);
    f.run('obs-1', 'failed', 'plugin exited with code 1', 'plugin_crashed');
    const t = traceTimeline(f.rows, f.root(), CLOUD);
    expect(t.steps.map((s) => s.kind)).toEqual(['observed', 'received', 'run']);
    expect(t.steps[2]).toMatchObject({ outcome: 'failed', durationMs: 250, sinceMs: 50 });
    expect(t.stopped).toEqual({
      step: 'run',
      reason: 'subscription onprem-clients → plugin claims: plugin_crashed (plugin exited with code 1)',
    });
  });

  it('at a refused result, with the invariant that refused it', () => {
    const f = fresh();
    const trace = observe(f);
    f.run('obs-1', 'succeeded', null, 'succeeded');
    f.event('ack-1', EventTypes.dynamicPartRejected, 'cloud', T0 + 500, childTraceContext(trace), {
      part: 'onprem-clients',
      reason: 'address 10.88.60.9/32 is held by node edge-2',
      eventIds: ['obs-1'],
    });
    const t = traceTimeline(f.rows, f.root(), CLOUD);
    expect(t.steps.at(-1)).toMatchObject({ kind: 'ack', outcome: 'failed', eventId: 'ack-1' });
    expect(t.stopped?.step).toBe('ack');
    expect(t.stopped?.reason).toMatch(
      /result refused: onprem-clients \(address 10\.88\.60\.9\/32 is held by node edge-2\)/,
    );
    // Asked for by the acknowledgement's id, the chain still starts at the observation it names.
    const byAck = traceTimeline(f.rows, f.rows.event('ack-1')!, CLOUD);
    expect(byAck.steps.map((s) => s.kind)).toEqual(t.steps.map((s) => s.kind));
  });

  it('at a plan waiting for approval', () => {
    const f = fresh();
    observe(f);
    f.run('obs-1', 'succeeded', null, 'succeeded');
    const key = 'aws|assign-secondary-ip|eni-0abc|10.88.60.9';
    const body = {
      spec: {
        resources: [
          {
            kind: 'RemoteAddressClaim',
            metadata: { name: 'c', annotations: { 'routerd.net/event-ids': 'obs-1' } },
          },
        ],
        actionPlans: [
          { name: 'aws-assign-secondary-ip-10-88-60-9', action: 'assign-secondary-ip', idempotencyKey: key },
        ],
      },
    };
    f.db
      .prepare(`INSERT INTO dynamic_parts (name, source, generation, digest, state, body, updated_ms)
      VALUES ('onprem-clients-10-88-60-9', 'EventSubscription/onprem-clients', 1, 'd', 'active', ?, ?)`)
      .run(JSON.stringify(body), T0 + 360);
    f.db
      .prepare(`INSERT INTO action_executions (id, idempotency_key, provider, action, phase, risk, nic, source, mode,
      state, created_ms, updated_ms, plan) VALUES ('x-1', ?, 'aws', 'assign-secondary-ip', 'apply', 'low', 'eni-0abc',
      'p', 'execute', 'awaiting-approval', ?, ?, '{}')`)
      .run(key, T0 + 370, T0 + 370);
    const t = traceTimeline(f.rows, f.root(), CLOUD);
    expect(t.steps.map((s) => s.kind)).toEqual(['observed', 'received', 'run', 'part', 'plan', 'executed']);
    expect(t.stopped).toEqual({
      step: 'executed',
      reason:
        'execution x-1 of aws-assign-secondary-ip-10-88-60-9: awaiting-approval (pending approval by an operator)',
    });
  });

  it('a trace that caused more events than a timeline reads: the first ones, and how many', () => {
    const f = fresh();
    const trace = observe(f);
    for (let i = 0; i < 7; i++)
      f.event(`caused-${i}`, 'routerd.test.happened', 'cloud', T0 + 100 + i, childTraceContext(trace));
    const t = traceTimeline(f.rows, f.root(), CLOUD, 5);
    expect(t.truncatedAt).toBe(5);
    expect(new Set(t.steps.map((s) => s.eventId))).toEqual(
      new Set(['obs-1', 'caused-0', 'caused-1', 'caused-2', 'caused-3', 'caused-4']),
    );
    // Within the bound: all of them, and no mark.
    const whole = traceTimeline(f.rows, f.root(), CLOUD, 7);
    expect(whole.truncatedAt).toBeUndefined();
    expect(new Set(whole.steps.map((s) => s.eventId)).size).toBe(8);
  });

  it('an event stored before trace context: its own steps, no trace id', () => {
    const f = fresh();
    f.db
      .prepare(`INSERT INTO events (id, group_name, source_node, type, payload, observed_at, stored_at_ms)
      VALUES ('old', 'edge', 'cloud', 'routerd.test.happened', '{}', ?, ?)`)
      .run(new Date(T0).toISOString(), T0);
    const t = traceTimeline(f.rows, f.rows.event('old')!, CLOUD);
    expect(t.traceId).toBeUndefined();
    expect(t.steps.map((s) => s.kind)).toEqual(['observed', 'stored']);
  });
});
