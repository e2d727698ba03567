/**
 * One observation's journey on this node as a timeline (`routerctl trace`): observed → stored → delivered
 * (attempts) → received → run (plugin, duration, outcome) → part / claim → plan → executed → ack, each step
 * with the time since the one before, and where the chain stopped and why. Built from TraceRows alone.
 */
import {
  type DynamicConfigPart,
  MAX_TRACE_EVENTS,
  type TraceOutcome,
  type TraceResponse,
  type TraceStep,
  type TraceStepKind,
} from '@routerd/host-wire';
import { causeSpanOf, EventTypes, spanIdOf, traceIdOf } from '@routerd/plugin-sdk';
import { isoAt } from '../clock.js';
import { Annotations } from '../dynamic/annotations.js';
import type { TraceEventRow, TraceRows } from '../store/trace-rows.js';

/** Steps at the same instant keep the order a journey passes them. */
const ORDER: readonly TraceStepKind[] = [
  'observed',
  'stored',
  'received',
  'delivered',
  'run',
  'part',
  'claim',
  'plan',
  'executed',
  'ack',
];

interface Timed extends Omit<TraceStep, 'at' | 'sinceMs'> {
  ms: number;
}

const ACKS: readonly string[] = [EventTypes.dynamicPartAccepted, EventTypes.dynamicPartRejected];

/**
 * The timeline of the trace `root` belongs to. `localNodes`: this node's names (its groups' nodeName),
 * to tell an event written here (stored) from one a peer sent (received).
 */
export function traceTimeline(
  rows: TraceRows,
  root: TraceEventRow,
  localNodes: ReadonlySet<string>,
  maxEvents = MAX_TRACE_EVENTS,
): TraceResponse {
  const traceId = root.traceparent ? traceIdOf(root.traceparent) : undefined;
  const { events, truncated } = traceId
    ? eventsOfTrace(rows, root, traceId, maxEvents)
    : { events: [root], truncated: false };
  const steps: Timed[] = [];
  const plansSeen = new Set<string>();
  for (const e of events) steps.push(...eventSteps(rows, e, localNodes, plansSeen));
  steps.sort((a, b) => a.ms - b.ms || ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind));
  const timeline: TraceStep[] = steps.map(({ ms, ...s }, i) => ({
    ...s,
    at: isoAt(ms),
    ...(i > 0 ? { sinceMs: ms - steps[i - 1]!.ms } : {}),
  }));
  const response: TraceResponse = { eventId: root.id, steps: timeline };
  if (traceId) response.traceId = traceId;
  const stopped = whereStopped(timeline, root, events, localNodes);
  if (stopped) response.stopped = stopped;
  if (truncated) response.truncatedAt = maxEvents;
  return response;
}

/**
 * The root, what it caused (by trace id), and the observations an acknowledgement names (asked for by an
 * acknowledgement's id, the observation is found through its eventIds), each once, in stored order.
 */
function eventsOfTrace(
  rows: TraceRows,
  root: TraceEventRow,
  traceId: string,
  maxEvents: number,
): { events: TraceEventRow[]; truncated: boolean } {
  const byId = new Map<string, TraceEventRow>([[root.id, root]]);
  // One more than the bound is read, to know whether the trace has more.
  const read = rows.causedInTrace(traceId, maxEvents + 1);
  const caused = read.slice(0, maxEvents);
  let truncated = read.length > maxEvents;
  for (const e of caused) byId.set(e.id, e);
  for (const e of caused) {
    if (!ACKS.includes(e.type)) continue;
    const { eventIds } = JSON.parse(e.payload) as { eventIds?: unknown };
    if (!Array.isArray(eventIds)) continue;
    for (const id of eventIds) {
      if (typeof id !== 'string' || byId.has(id)) continue;
      // The observations acknowledgements name count against the same bound.
      if (byId.size > maxEvents) {
        truncated = true;
        break;
      }
      const cause = rows.event(id);
      if (cause?.traceparent && traceIdOf(cause.traceparent) === traceId) byId.set(id, cause);
    }
  }
  return { events: [...byId.values()].sort((a, b) => a.stored_at_ms - b.stored_at_ms), truncated };
}

function eventSteps(
  rows: TraceRows,
  e: TraceEventRow,
  localNodes: ReadonlySet<string>,
  plansSeen: Set<string>,
): Timed[] {
  const local = localNodes.has(e.source_node);
  const span = e.traceparent
    ? { spanId: spanIdOf(e.traceparent), ...optional('parentSpanId', causeSpanOf(e.tracestate ?? undefined)) }
    : {};
  const ids = { eventId: e.id, ...span };
  const out: Timed[] = [];
  if (ACKS.includes(e.type)) {
    const payload = JSON.parse(e.payload) as { part?: string; reason?: string };
    const accepted = e.type === EventTypes.dynamicPartAccepted;
    out.push({
      kind: 'ack',
      ms: e.stored_at_ms,
      outcome: accepted ? 'ok' : 'failed',
      summary: `${accepted ? 'part accepted' : 'result refused'}: ${payload.part ?? ''}${payload.reason ? ` (${payload.reason})` : ''} — ${local ? 'written here' : `received from ${e.source_node}`}`,
      ...ids,
    });
  } else if (e.type === EventTypes.providerActionPlanned) {
    // A plan announced here is listed with its part; one announced by a peer arrives as this event.
    if (local) return deliverySteps(rows, e, ids);
    const payload = JSON.parse(e.payload) as { plan?: string; action?: string; idempotencyKey?: string };
    if (payload.idempotencyKey) plansSeen.add(payload.idempotencyKey);
    out.push({
      kind: 'plan',
      ms: e.stored_at_ms,
      outcome: 'ok',
      summary: `plan ${payload.plan ?? ''} (${payload.action ?? ''}) announced by ${e.source_node}`,
      ...ids,
    });
  } else {
    out.push({
      kind: 'observed',
      ms: Date.parse(e.observed_at),
      outcome: 'ok',
      summary: `${e.type} ${e.subject ?? addressOf(e.payload) ?? ''} observed by ${e.source_node}`.replace(
        '  ',
        ' ',
      ),
      ...ids,
    });
    out.push({
      kind: local ? 'stored' : 'received',
      ms: e.stored_at_ms,
      outcome: 'ok',
      summary: local ? `stored (group ${e.group_name})` : `received from ${e.source_node}`,
      eventId: e.id,
    });
  }
  out.push(...deliverySteps(rows, e, ids));
  for (const r of rows.subscriptionRuns(e.id)) {
    const outcome: TraceOutcome =
      r.status === 'succeeded'
        ? 'ok'
        : r.status === 'failed' || r.status === 'expired'
          ? 'failed'
          : 'pending';
    const error = r.error_message ?? r.last_error;
    out.push({
      kind: 'run',
      ms: r.started_ms ?? r.updated_ms,
      ...(r.duration_ms !== null ? { durationMs: r.duration_ms } : {}),
      outcome,
      summary: `subscription ${r.subscription}${r.plugin ? ` → plugin ${r.plugin}` : ''}: ${r.outcome ?? r.status}${outcome === 'failed' && error ? ` (${error})` : ''}`,
      eventId: e.id,
      detail: {
        subscription: r.subscription,
        plugin: r.plugin,
        runId: r.last_run_id,
        attempts: r.attempts,
      },
    });
  }
  for (const part of rows.partsCiting(e.id)) {
    const body = JSON.parse(part.body) as DynamicConfigPart;
    const cites = body.spec.resources.some((r) =>
      (r.metadata.annotations?.[Annotations.eventIds] ?? '').split(',').includes(e.id),
    );
    if (!cites) continue;
    out.push({
      kind: 'part',
      ms: part.updated_ms,
      outcome: 'ok',
      summary: `DynamicConfigPart ${part.name} generation ${part.generation}: ${part.state}`,
      eventId: e.id,
      detail: { part: part.name, generation: part.generation, state: part.state },
    });
    for (const c of rows.claimsOfPart(part.name))
      out.push({
        kind: 'claim',
        ms: c.updated_ms,
        outcome: 'ok',
        summary: `claim ${c.domain} ${c.address} for ${c.owner_node}: ${c.state}`,
        detail: { domain: c.domain, address: c.address, owner: c.owner_node, state: c.state },
      });
    for (const plan of body.spec.actionPlans) {
      if (plansSeen.has(plan.idempotencyKey)) continue;
      plansSeen.add(plan.idempotencyKey);
      out.push({
        kind: 'plan',
        ms: part.updated_ms,
        outcome: 'ok',
        summary: `plan ${plan.name} (${plan.action})`,
        detail: { plan: plan.name, idempotencyKey: plan.idempotencyKey },
      });
      for (const x of rows.executions(plan.idempotencyKey)) out.push(executionStep(plan.name, x));
    }
  }
  return out;
}

function deliverySteps(rows: TraceRows, e: TraceEventRow, ids: Partial<TraceStep>): Timed[] {
  return rows.deliveries(e.id).map((d) => {
    const outcome: TraceOutcome =
      d.status === 'delivered' ? 'ok' : d.status === 'pending' ? 'pending' : 'failed';
    const tries = `${d.attempts} attempt${d.attempts === 1 ? '' : 's'}`;
    const why = d.last_error ?? (d.last_status ? `HTTP ${d.last_status}` : undefined);
    const what =
      e.type === EventTypes.providerActionPlanned
        ? 'announcement'
        : ACKS.includes(e.type)
          ? 'acknowledgement'
          : 'event';
    return {
      kind: 'delivered' as const,
      ms: d.delivered_ms ?? d.updated_ms,
      outcome,
      summary:
        d.status === 'delivered'
          ? `${what} delivered to ${d.peer} (${tries})`
          : `${what} ${d.status === 'pending' ? 'not yet delivered' : d.status} to ${d.peer} after ${tries}${why ? `: ${why}` : ''}`,
      ...ids,
      detail: { peer: d.peer, status: d.status, attempts: d.attempts, lastError: d.last_error },
    };
  });
}

function executionStep(plan: string, x: ReturnType<TraceRows['executions']>[number]): Timed {
  const done = ['succeeded', 'already-done', 'held-elsewhere', 'undone'];
  const outcome: TraceOutcome = done.includes(x.state)
    ? 'ok'
    : x.state === 'failed' || x.state === 'cancelled'
      ? 'failed'
      : 'pending';
  const waiting = x.state === 'awaiting-approval' ? ' (pending approval by an operator)' : '';
  return {
    kind: 'executed',
    ms: x.finished_ms ?? x.updated_ms,
    ...(x.finished_ms !== null ? { durationMs: x.finished_ms - x.created_ms } : {}),
    outcome,
    summary: `execution ${x.id} of ${plan}: ${x.state}${waiting}${x.reason ? ` (${x.reason})` : ''}`,
    detail: { execution: x.id, state: x.state, approvedBy: x.approved_by },
  };
}

/** The first failed step; else the first still waiting; else, for an observation sent from here that no peer acknowledged, the ack. */
function whereStopped(
  steps: readonly TraceStep[],
  root: TraceEventRow,
  events: readonly TraceEventRow[],
  localNodes: ReadonlySet<string>,
): TraceResponse['stopped'] {
  const failed = steps.find((s) => s.outcome === 'failed');
  if (failed) return { step: failed.kind, reason: failed.summary };
  const pending = steps.find((s) => s.outcome === 'pending');
  if (pending) return { step: pending.kind, reason: pending.summary };
  const sentFromHere = localNodes.has(root.source_node) && steps.some((s) => s.kind === 'delivered');
  const acknowledged = events.some((e) => ACKS.includes(e.type));
  if (sentFromHere && !acknowledged)
    return {
      step: 'ack',
      reason: 'delivered, but no peer has acknowledged it yet (no part accepted or refused)',
    };
  return undefined;
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

/** The address an observation is about, when it was emitted without a subject. */
function addressOf(payload: string): string | undefined {
  const address = (JSON.parse(payload) as { address?: unknown }).address;
  return typeof address === 'string' ? address : undefined;
}
