import { type Event, type TraceContext, traceContextOf } from '@routerd/plugin-sdk';

/**
 * The cause of what a batch of events brought about (a part, a plan, an acknowledgement): the newest
 * event of the batch that carries trace context. A W3C span has one parent, and the newest observation
 * is the one that made the run happen; the others are named by id in the acknowledgement's payload.
 */
export function traceCause(events: readonly Event[]): TraceContext | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const context = traceContextOf(events[i]!);
    if (context) return context;
  }
  return undefined;
}
