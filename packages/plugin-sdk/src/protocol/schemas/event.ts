import { type } from 'arktype';
import { narrows } from '../narrows.js';
import { MAX_TRACESTATE_LENGTH, TRACEPARENT_PATTERN, TRACESTATE_PATTERN } from '../trace-context.js';
import { Duration, JsonObject, Name, Timestamp } from './common.js';

export const EventId = type(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/).describe(
  'an event id of 1 to 128 characters from A-Z a-z 0-9 . _ : - (starting with a letter or digit)',
);
export const EventType = type(/^[a-z][a-z0-9-]*(?:\.[a-z0-9][a-z0-9-]*){1,15}$/).describe(
  'a dotted lowercase event type such as routerd.client.ipv4.observed',
);

/** W3C traceparent (CloudEvents distributed tracing extension): version 00, ids not all zero. */
export const TraceParent = type(TRACEPARENT_PATTERN).describe(
  'a W3C traceparent such as 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
);
/** W3C tracestate: key=value members separated by commas, at most 512 characters. */
export const TraceState = type(TRACESTATE_PATTERN)
  .and(`string <= ${MAX_TRACESTATE_LENGTH}`)
  .describe('a W3C tracestate list such as routerd=00f067aa0ba902b7,vendor=value');

const EventShape = type({
  id: EventId,
  group: Name,
  sourceNode: Name,
  type: EventType,
  'subject?': 'string <= 256',
  'dedupeKey?': 'string <= 256',
  payload: JsonObject,
  observedAt: Timestamp,
  'expiresAt?': Timestamp,
  /** Trace context: set where an observation is born, inherited by what it causes (docs/protocol.md). */
  'traceparent?': TraceParent,
  'tracestate?': TraceState,
});

/** The federation event envelope: an observed fact, never a command. */
export const Event = EventShape.narrow(narrows.eventBounds.narrow);
export type Event = typeof EventShape.infer;

/**
 * An event as a plugin publishes it: the host fills `group` and `sourceNode` (a plugin cannot speak for
 * another node), generates a time-ordered `id` when none is given, and sets `expiresAt` from `ttl`.
 */
export const EventDraft = type({
  'id?': EventId,
  type: EventType,
  'subject?': 'string <= 256',
  'dedupeKey?': 'string <= 256',
  payload: JsonObject,
  'observedAt?': Timestamp,
  'expiresAt?': Timestamp,
  'ttl?': Duration,
});
export type EventDraft = typeof EventDraft.infer;
