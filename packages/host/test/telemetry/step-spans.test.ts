// The journey's steps as spans (telemetry/step-spans.ts), from real records: an execution journaled with
// trace context in a real SQLite journal (migration 56) becomes its own span under the event that
// announced its plan, with a span per step under it, failures as ERROR.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StepRecord } from '@routerd/host-wire';
import {
  type ActionPlan,
  childTraceContext,
  newTraceContext,
  spanIdOf,
  traceContextOf,
  traceIdOf,
} from '@routerd/plugin-sdk';
import { describe, expect, it } from 'vitest';
import { outcomeEvent } from '../../src/actions/outcome-events.js';
import { ActionJournal } from '../../src/store/action-journal.js';
import { allMigrations, openDatabase } from '../../src/store/database.js';
import { executionSpans } from '../../src/telemetry/step-spans.js';

const T0 = Date.parse('2026-12-01T12:00:00Z');
const plan = {
  name: 'aws-assign-secondary-ip-10-88-60-9',
  provider: 'aws',
  action: 'assign-secondary-ip',
  mode: 'dry-run',
  idempotencyKey: 'aws|assign-secondary-ip|eni-1|10.88.60.9/32',
  riskLevel: 'low',
  phase: 'provision',
  target: { nicRef: 'eni-1', address: '10.88.60.9/32' },
  steps: [],
  verify: { tool: 'aws', argv: [], expect: 'listed' },
} as unknown as ActionPlan;

const step = (name: string, outcome: string, startMs: number, exitCode = 0): StepRecord => ({
  step: name,
  attempt: 1,
  argv: ['ec2', name],
  exitCode,
  outcome,
  startedAt: new Date(startMs).toISOString(),
  durationMs: 400,
  stdoutTail: '',
  stderrTail: '',
});

function journaled(cause?: ReturnType<typeof newTraceContext>) {
  const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'spans-')), 'routerd.db'), allMigrations);
  const journal = new ActionJournal(db);
  const trace = cause ? childTraceContext(cause) : undefined;
  const { record } = journal.submit(
    {
      id: 'x1',
      plan,
      source: 'DynamicConfigPart/p',
      mode: 'auto',
      state: 'approved',
      approvedBy: 'ActionPolicy/aws rules[0]',
      ...(trace ? { trace } : {}),
    },
    T0,
  );
  return { record, trace };
}

describe('an execution as spans', () => {
  it('keeps its trace context in the journal, and is a child of the event that announced its plan', () => {
    const cause = newTraceContext();
    const { record, trace } = journaled(cause);
    expect(record.traceparent).toBe(trace!.traceparent);
    expect(traceContextOf(record)).toEqual(trace);
    const finished = {
      ...record,
      state: 'succeeded' as const,
      finishedAt: new Date(T0 + 2_000).toISOString(),
      steps: [step('check-assigned', 'succeeded', T0 + 100), step('assign', 'succeeded', T0 + 600)],
    };
    const [execution, ...steps] = executionSpans(finished);
    expect(execution).toMatchObject({
      name: 'execute aws assign-secondary-ip',
      traceId: traceIdOf(cause.traceparent),
      spanId: spanIdOf(record.traceparent!),
      parentSpanId: spanIdOf(cause.traceparent),
      startMs: T0,
      endMs: T0 + 2_000,
      attributes: { 'routerd.execution.id': 'x1', 'routerd.execution.state': 'succeeded' },
    });
    expect(execution!.error).toBeUndefined();
    expect(steps.map((s) => [s.name, s.parentSpanId, s.startMs, s.endMs])).toEqual([
      ['step check-assigned', execution!.spanId, T0 + 100, T0 + 500],
      ['step assign', execution!.spanId, T0 + 600, T0 + 1_000],
    ]);
    // The outcome event it writes is routed with the execution's context as its cause.
    expect(outcomeEvent(finished, { group: 'edge', ownerNode: 'onprem' })?.type).toBe(
      'routerd.provider.action.succeeded',
    );
  });

  it('a failed or held-elsewhere execution and a refused step are ERROR; no trace context, no span', () => {
    const { record } = journaled(newTraceContext());
    const held = {
      ...record,
      state: 'held-elsewhere' as const,
      reason: 'held by eni-2',
      steps: [step('assign', 'held-elsewhere', T0 + 10, 255)],
    };
    const [execution, assign] = executionSpans(held);
    expect(execution!.error).toBe('held by eni-2');
    expect(assign!.error).toBe('held-elsewhere (exit 255)');
    expect(executionSpans(journaled().record)).toEqual([]);
    expect(traceContextOf(journaled().record)).toBeUndefined();
  });
});
