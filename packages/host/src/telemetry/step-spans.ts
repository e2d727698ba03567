/**
 * The steps of an observation's journey on this node as spans (issue 21): what the OTLP export sends,
 * worked out from what the daemon already knows — a stored event, a delivery acknowledged by a peer, a
 * subscription run. Pure: no OpenTelemetry here, so the daemon pays nothing for it until an export is
 * configured (telemetry/index.ts loads the exporter).
 *
 * Ids follow the events' trace context: an event born on this node IS a span (its traceparent's span
 * id), a child of its cause (tracestate's `routerd` member); receiving, delivering and running are new
 * spans under the event they handle. So the peer's receive span has the sender's event span as parent,
 * and one trace runs across both daemons.
 */
import type { ExecutionRecord } from '@routerd/host-wire';
import { causeSpanOf, type Event, spanIdOf, traceIdOf } from '@routerd/plugin-sdk';
import { traceCause } from '../events/trace-cause.js';
import type { DueDelivery } from '../store/deliveries.js';
import type { FinishedRun } from '../subscriptions/engine.js';

export interface StepSpan {
  name: string;
  kind: 'internal' | 'producer' | 'consumer' | 'client';
  traceId: string;
  /** Given when the span is an event's own (its traceparent's span id); otherwise a new one is drawn. */
  spanId?: string;
  parentSpanId?: string;
  startMs: number;
  endMs: number;
  attributes: Record<string, string | number>;
  /** Set when the step failed: the span's status is ERROR with this message. */
  error?: string;
}

/** Where spans go: nowhere until an OTLP endpoint is configured. */
export interface SpanSink {
  record(span: StepSpan): void;
}

export const NO_SPANS: SpanSink = { record: () => {} };

const eventAttributes = (e: Event) => ({
  'routerd.event.id': e.id,
  'routerd.event.type': e.type,
  'routerd.event.source_node': e.sourceNode,
  'routerd.event.group': e.group,
});

/**
 * A newly stored event: its own span when this node wrote it (from its observation to its commit), a
 * receive span under it when a peer sent it. Events without trace context (from before it existed)
 * give no span.
 */
export function storedEventSpan(event: Event, storedAtMs: number, local: boolean): StepSpan | undefined {
  if (event.traceparent === undefined) return undefined;
  const traceId = traceIdOf(event.traceparent);
  const own = spanIdOf(event.traceparent);
  if (local) {
    const cause = causeSpanOf(event.tracestate);
    const observed = Date.parse(event.observedAt);
    return {
      name: `emit ${event.type}`,
      kind: 'producer',
      traceId,
      spanId: own,
      ...(cause ? { parentSpanId: cause } : {}),
      // An observation dated after its commit (a clock step) starts at the commit instead.
      startMs: Number.isFinite(observed) && observed <= storedAtMs ? observed : storedAtMs,
      endMs: storedAtMs,
      attributes: eventAttributes(event),
    };
  }
  return {
    name: `receive ${event.type}`,
    kind: 'consumer',
    traceId,
    parentSpanId: own,
    startMs: storedAtMs,
    endMs: storedAtMs,
    attributes: eventAttributes(event),
  };
}

/** A delivery the peer acknowledged: from the row's enqueueing to the acknowledgement. */
export function deliverySpan(d: DueDelivery, peer: string, deliveredMs: number): StepSpan | undefined {
  const { event } = d;
  if (event.traceparent === undefined) return undefined;
  return {
    name: `deliver ${event.type}`,
    kind: 'client',
    traceId: traceIdOf(event.traceparent),
    parentSpanId: spanIdOf(event.traceparent),
    startMs: Math.min(d.enqueuedMs, deliveredMs),
    endMs: deliveredMs,
    attributes: {
      'routerd.event.id': event.id,
      'routerd.peer': peer,
      'routerd.delivery.attempts': d.attempts + 1,
    },
  };
}

/** A subscription's plugin run, under the newest traced event of its batch (the one that made it happen). */
export function runSpan(run: FinishedRun): StepSpan | undefined {
  // The same cause the run's results answer (their acknowledgements and plans are its children too).
  const cause = traceCause(run.events);
  if (!cause) return undefined;
  return {
    name: `run ${run.plugin}`,
    kind: 'internal',
    traceId: traceIdOf(cause.traceparent),
    parentSpanId: spanIdOf(cause.traceparent),
    startMs: run.startedMs,
    endMs: run.endedMs,
    attributes: {
      'routerd.subscription': run.subscription,
      'routerd.plugin': run.plugin,
      'routerd.run.id': run.runId,
      'routerd.run.outcome': run.outcome,
      'routerd.run.events': run.events.length,
    },
    ...(run.error ? { error: run.error } : {}),
  };
}

/** Execution states that did not do what the plan asked: the span's status is ERROR. */
const NOT_DONE = new Set(['failed', 'held-elsewhere']);
/** Step outcomes that are a failure of that step. */
const STEP_FAILED = new Set(['failed', 'refused', 'timeout', 'held-elsewhere']);

/**
 * A finished provider action (the action journal's record): its own span (the execution's trace context,
 * a child of the event whose run announced the plan), from its journaling to its end, and a span per step
 * run under it, with the step's exit code and outcome. Executions without trace context give none.
 */
export function executionSpans(r: ExecutionRecord): StepSpan[] {
  if (r.traceparent === undefined) return [];
  const traceId = traceIdOf(r.traceparent);
  const own = spanIdOf(r.traceparent);
  const cause = causeSpanOf(r.tracestate);
  const created = Date.parse(r.createdAt);
  const ended = Date.parse(r.finishedAt ?? r.updatedAt);
  const spans: StepSpan[] = [
    {
      name: `execute ${r.provider} ${r.action}`,
      kind: 'client',
      traceId,
      spanId: own,
      ...(cause ? { parentSpanId: cause } : {}),
      startMs: created,
      endMs: Math.max(created, ended),
      attributes: {
        'routerd.execution.id': r.id,
        'routerd.execution.state': r.state,
        'routerd.execution.mode': r.mode,
        'routerd.plan': r.plan.name,
        'routerd.provider': r.provider,
        ...(r.approvedBy ? { 'routerd.execution.approved_by': r.approvedBy } : {}),
      },
      ...(NOT_DONE.has(r.state) ? { error: r.reason ?? r.state } : {}),
    },
  ];
  for (const step of r.steps) {
    const started = Date.parse(step.startedAt);
    spans.push({
      name: `step ${step.step}`,
      kind: 'client',
      traceId,
      parentSpanId: own,
      startMs: started,
      endMs: started + step.durationMs,
      attributes: {
        'routerd.execution.id': r.id,
        'routerd.step.attempt': step.attempt,
        'routerd.step.exit_code': step.exitCode,
        'routerd.step.outcome': step.outcome,
      },
      ...(STEP_FAILED.has(step.outcome) ? { error: `${step.outcome} (exit ${step.exitCode})` } : {}),
    });
  }
  return spans;
}
