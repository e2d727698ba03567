/** `routerctl trace`: one observation's causal chain on this node, as a timeline (docs/protocol.md § Trace context). */
import { EventId } from '@routerd/plugin-sdk';
import { type } from 'arktype';
import { lazyType } from './lazy-type.js';

/** GET /v1/trace?event=<id> or ?address=<IPv4[/32]>: one of the two. */
export const TraceQuery = lazyType(() =>
  type({
    'event?': EventId,
    'address?': /^(?:\d{1,3}\.){3}\d{1,3}(?:\/32)?$/,
  })
    .onUndeclaredKey('reject')
    .narrow((q, ctx) =>
      (q.event === undefined) !== (q.address === undefined)
        ? true
        : ctx.reject({ expected: 'exactly one of event or address', actual: '' }),
    ),
);
export type TraceQuery = typeof TraceQuery.infer;

/** What a step of the chain is, in the order a journey passes them. */
export const TraceStepKind = lazyType(() =>
  type(
    "'observed' | 'stored' | 'delivered' | 'received' | 'run' | 'part' | 'claim' | 'plan' | 'executed' | 'ack'",
  ),
);
export type TraceStepKind = typeof TraceStepKind.infer;

/** ok: done; pending: not yet (retrying, waiting); failed: the chain stopped here. */
export const TraceOutcome = lazyType(() => type("'ok' | 'pending' | 'failed'"));
export type TraceOutcome = typeof TraceOutcome.infer;

export const TraceStep = lazyType(() =>
  type({
    kind: TraceStepKind,
    /** When it happened (RFC 3339), as this node's store recorded it. */
    at: 'string',
    /** Since the step before it, in milliseconds (absent for the first). */
    'sinceMs?': 'number',
    /** How long the step itself took (a plugin run), in milliseconds. */
    'durationMs?': 'number',
    outcome: TraceOutcome,
    /** One line: what happened, where, and for a failure why. */
    summary: 'string',
    'eventId?': 'string',
    'spanId?': 'string',
    /** The span of the event that caused this one (tracestate's routerd member). */
    'parentSpanId?': 'string',
    /** Delivery attempts, plugin, run id, part, plan, execution id: what the step's record holds. */
    'detail?': 'Record<string, string | number | null>',
  }),
);
export type TraceStep = typeof TraceStep.infer;

export const TraceResponse = lazyType(() =>
  type({
    /** The event the trace was asked for (or the newest observation of the address). */
    eventId: 'string',
    /** The W3C trace id its events share; absent for an event stored before trace context existed. */
    'traceId?': 'string',
    steps: TraceStep.array(),
    /** Where and why the chain stopped, when a step failed or is still waiting. */
    'stopped?': { step: TraceStepKind, reason: 'string' },
    /**
     * Present when the trace caused more events than a timeline reads (MAX_TRACE_EVENTS): how many were
     * read, the first in stored order; the steps are theirs.
     */
    'truncatedAt?': 'number.integer > 0',
  }),
);
export type TraceResponse = typeof TraceResponse.infer;
