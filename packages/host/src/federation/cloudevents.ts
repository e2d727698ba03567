import {
  type Event,
  Event as EventSchema,
  gates,
  type Issue,
  receivedTraceContext,
  validate,
} from '@routerd/plugin-sdk';
import type { StoredEvent } from '../store/events.js';

/**
 * The routerd envelope on the wire as CloudEvents 1.0 structured JSON. Structured mode keeps every
 * attribute inside the signed body (binary-mode ce-* headers are not covered by the signature).
 *
 * | envelope     | CloudEvents attribute                  |
 * |--------------|----------------------------------------|
 * | id           | id                                     |
 * | sourceNode   | source = urn:routerd:node:<sourceNode> |
 * | type         | type                                   |
 * | subject      | subject                                |
 * | observedAt   | time                                   |
 * | expiresAt    | expirytime (extension)                 |
 * | payload      | data (datacontenttype application/json)|
 * | group        | routerdgroup (extension)               |
 * | dedupeKey    | routerddedupekey (extension)           |
 * | traceparent  | traceparent (distributed tracing ext.) |
 * | tracestate   | tracestate (distributed tracing ext.)  |
 *
 * A malformed traceparent or tracestate is dropped, never a reason to refuse the event (docs/protocol.md).
 */
export const MEDIA_SINGLE = 'application/cloudevents+json';
export const MEDIA_BATCH = 'application/cloudevents-batch+json';
const SOURCE_PREFIX = 'urn:routerd:node:';

export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject?: string;
  time: string;
  datacontenttype: 'application/json';
  data: Record<string, unknown>;
  expirytime?: string;
  routerdgroup: string;
  routerddedupekey?: string;
  traceparent?: string;
  tracestate?: string;
}

export function toCloudEvent(ev: Event): CloudEvent {
  return { ...attributesOf(ev), data: ev.payload };
}

/**
 * One CloudEvent as JSON text, from an event as stored: its payload is already JSON (the store wrote it
 * with JSON.stringify), so it goes into `data` as it is instead of being parsed and serialised again.
 */
export function cloudEventJson(ev: StoredEvent): string {
  const attributes = JSON.stringify(attributesOf(ev));
  return `${attributes.slice(0, -1)},"data":${ev.payloadJson}}`;
}

/** Everything but `data`, in the order toCloudEvent has always written it. */
function attributesOf(ev: Omit<Event, 'payload'>): Omit<CloudEvent, 'data'> {
  const ce: Omit<CloudEvent, 'data'> = {
    specversion: '1.0',
    id: ev.id,
    source: `${SOURCE_PREFIX}${ev.sourceNode}`,
    type: ev.type,
    time: ev.observedAt,
    datacontenttype: 'application/json',
    routerdgroup: ev.group,
  };
  if (ev.subject !== undefined) ce.subject = ev.subject;
  if (ev.expiresAt !== undefined) ce.expirytime = ev.expiresAt;
  if (ev.dedupeKey !== undefined) ce.routerddedupekey = ev.dedupeKey;
  if (ev.traceparent !== undefined) ce.traceparent = ev.traceparent;
  if (ev.tracestate !== undefined) ce.tracestate = ev.tracestate;
  return ce;
}

export type FromCloudEvent = { ok: true; event: Event } | { ok: false; id?: string; issues: Issue[] };

/** Map one structured CloudEvent back to the envelope; issues carry paths into the CloudEvent (`/data/address`). */
export function fromCloudEvent(value: unknown, base = ''): FromCloudEvent {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, issues: [{ path: base || '/', message: 'must be a CloudEvent object' }] };
  }
  const ce = value as Record<string, unknown>;
  const id = typeof ce.id === 'string' ? ce.id : undefined;
  const issues: Issue[] = [];
  if (ce.specversion !== '1.0')
    issues.push({ path: `${base}/specversion`, message: 'specversion must be "1.0"' });
  if (ce.datacontenttype !== undefined && ce.datacontenttype !== 'application/json') {
    issues.push({ path: `${base}/datacontenttype`, message: 'datacontenttype must be application/json' });
  }
  const source = typeof ce.source === 'string' ? ce.source : '';
  if (!source.startsWith(SOURCE_PREFIX)) {
    issues.push({ path: `${base}/source`, message: `source must be ${SOURCE_PREFIX}<node name>` });
  }
  if (issues.length) return { ok: false, id, issues };
  const candidate: Record<string, unknown> = {
    id: ce.id,
    group: ce.routerdgroup,
    sourceNode: source.slice(SOURCE_PREFIX.length),
    type: ce.type,
    payload: ce.data,
    observedAt: ce.time,
  };
  if (ce.subject !== undefined) candidate.subject = ce.subject;
  if (ce.expirytime !== undefined) candidate.expiresAt = ce.expirytime;
  if (ce.routerddedupekey !== undefined) candidate.dedupeKey = ce.routerddedupekey;
  if (ce.traceparent !== undefined || ce.tracestate !== undefined) {
    const trace = receivedTraceContext(ce.traceparent, ce.tracestate);
    if (trace) Object.assign(candidate, trace);
  }
  // The precompiled gate decides; the schema runs only for a refused event, for its issues' words.
  if (gates.Event(candidate)) return { ok: true, event: candidate };
  const r = validate(EventSchema, candidate);
  if (!r.ok) {
    // Report paths in CloudEvents terms, so the sender can find the field it actually sent.
    const rename: Record<string, string> = {
      '/group': '/routerdgroup',
      '/sourceNode': '/source',
      '/payload': '/data',
      '/observedAt': '/time',
      '/expiresAt': '/expirytime',
      '/dedupeKey': '/routerddedupekey',
    };
    return {
      ok: false,
      id,
      issues: r.issues.map((i) => {
        const hit = Object.keys(rename).find((k) => i.path === k || i.path.startsWith(`${k}/`));
        return { path: base + (hit ? rename[hit] + i.path.slice(hit.length) : i.path), message: i.message };
      }),
    };
  }
  return { ok: true, event: r.value };
}
