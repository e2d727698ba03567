/**
 * The one way an event gets written locally: routerctl and the control API today, a plugin's
 * `events/publish` later. Validates the request, fills what only this node may say (group, sourceNode,
 * id, observedAt, expiresAt), applies the no-feedback-loop guard, then stores the lot in one transaction.
 */

import { EmitRequest } from '@routerd/host-wire';
import {
  childTraceContext,
  Event,
  gates,
  type Issue,
  Name,
  narrows,
  newTraceContext,
  parseDuration,
  payloadHolds,
  type TraceContext,
  wellKnownPayloads,
} from '@routerd/plugin-sdk';
import type { Type } from 'arktype';
import { monotonicFactory } from 'ulid';
import { type Clock, isoAt } from '../clock.js';
import type { FederationConfig } from '../config/index.js';
import { type EventStore, IdConflictError, type InsertOutcome } from '../store/events.js';
import { check } from '../validation.js';
import { feedbackLoopIssue, type NoObserveSet } from './no-observe.js';

export { EmitRequest };

export type EmitRefusalCode = 'invalid_event' | 'self_captured_address' | 'id_conflict';

/** Nothing was stored: every problem of every event in the request, with its path. */
export class EmitRefused extends Error {
  override name = 'EmitRefused';
  constructor(
    readonly code: EmitRefusalCode,
    readonly issues: Issue[],
  ) {
    const first = issues[0];
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    super(
      code === 'self_captured_address'
        ? `refused: ${first?.message}`
        : code === 'id_conflict'
          ? `id conflict: ${first ? `${first.path} ${first.message}` : 'id taken'}${more}`
          : `invalid event: ${first ? `${first.path} ${first.message}` : 'invalid'}${more}`,
    );
  }
}

export interface EmitPipelineOptions {
  store: EventStore;
  clock: Clock;
  noObserve: NoObserveSet;
  /** Read on every emit, so a config reload takes effect for the next request. */
  config: () => FederationConfig;
}

type Prepared = { ok: true; event: Event } | { ok: false; code: EmitRefusalCode; issues: Issue[] };

/**
 * Where the events of one call come from, for their trace context: with a cause (the event a plugin's
 * result or the host answered), each is its child; without, each starts a trace of its own.
 */
export interface EmitTrace {
  cause?: TraceContext;
}

/** One request's fate in emitEach: stored (or a duplicate, or refreshed), or refused with its issues. */
export type EmitVerdict =
  | { ok: true; outcome: InsertOutcome }
  | { ok: false; code: EmitRefusalCode; issues: Issue[] };

export class EmitPipeline {
  // Monotonic: ids generated within one millisecond still sort in emit order.
  private readonly nextId = monotonicFactory();

  constructor(private readonly options: EmitPipelineOptions) {}

  /** Emit one event; see emitBatch. */
  emit(request: unknown, trace: EmitTrace = {}): InsertOutcome {
    return this.run([request], () => '', trace)[0]!;
  }

  /**
   * All or nothing: if any request is refused, nothing is stored and EmitRefused lists every problem.
   * `base` prefixes issue paths, e.g. `/events` gives `/events/3/payload/address`.
   */
  emitBatch(requests: readonly unknown[], base = '/events', trace: EmitTrace = {}): InsertOutcome[] {
    return this.run(requests, (i) => `${base}/${i}`, trace);
  }

  /**
   * Each request on its own: the valid ones are stored (in one transaction) and every refused one gets
   * its own verdict. For writers that answer per event — a plugin's `events/publish` — where one bad
   * draft must not cost the others; the control API keeps emitBatch's all-or-nothing contract.
   */
  emitEach(requests: readonly unknown[], base = '/events', trace: EmitTrace = {}): EmitVerdict[] {
    return this.emitCalls([requests], base, trace)[0]!;
  }

  /**
   * Several callers' requests judged as emitEach judges each call's — paths count within the call — and
   * stored in one transaction, in call order: what two calls one after the other would store, for one
   * commit instead of two (the plugin host's events/publish: PublishCommits, plugins/publish.ts).
   */
  emitCalls(
    calls: readonly (readonly unknown[])[],
    base = '/events',
    trace: EmitTrace = {},
  ): EmitVerdict[][] {
    const run = this.runContext(trace);
    const prepared = calls.map((requests) => requests.map((r, i) => this.prepare(r, `${base}/${i}`, run)));
    const valid = prepared.flatMap((call) => call.flatMap((p) => (p.ok ? [p.event] : [])));
    const stored = valid.length > 0 ? this.options.store.insert(valid) : [];
    let next = 0;
    return prepared.map((call) =>
      call.map((p, i): EmitVerdict => {
        if (!p.ok) return { ok: false, code: p.code, issues: p.issues };
        const outcome = stored[next++]!;
        if (outcome.status === 'conflict')
          return { ok: false, code: 'id_conflict', issues: [conflictIssue(outcome, `${base}/${i}`)] };
        return { ok: true, outcome };
      }),
    );
  }

  private run(
    requests: readonly unknown[],
    pathOf: (index: number) => string,
    trace: EmitTrace,
  ): InsertOutcome[] {
    const run = this.runContext(trace);
    const prepared = requests.map((r, i) => this.prepare(r, pathOf(i), run));
    const refused = prepared.filter((p) => !p.ok);
    if (refused.length > 0) {
      // Schema problems first: a caller fixing a typo should not be told about policy before it.
      const code = refused.some((r) => r.code === 'invalid_event')
        ? 'invalid_event'
        : 'self_captured_address';
      throw new EmitRefused(
        code,
        refused.flatMap((r) => r.issues),
      );
    }
    try {
      return this.options.store.insert(
        prepared.map((p) => (p as { event: Event }).event),
        { allOrNothing: true },
      );
    } catch (err) {
      if (!(err instanceof IdConflictError)) throw err;
      throw new EmitRefused(
        'id_conflict',
        err.conflicts.map((c) => conflictIssue(c.outcome, pathOf(c.index))),
      );
    }
  }

  /** What every event of one request shares: the time, the groups, the durations and times worked out. */
  private runContext(trace: EmitTrace): RunContext {
    const now = this.options.clock.now();
    return {
      now,
      groups: new Map(),
      ttls: new Map(),
      times: new Map([[now, isoAt(now)]]),
      cause: trace.cause,
    };
  }

  private prepare(request: unknown, base: string, run: RunContext): Prepared {
    const invalid = (issues: Issue[]): Prepared => ({ ok: false, code: 'invalid_event', issues });
    const parsed = emitRequestHolds(request)
      ? { ok: true as const, value: request }
      : check(EmitRequest, request, base);
    if (!parsed.ok) return invalid(parsed.issues);
    const draft = parsed.value;
    const { now } = run;

    const resolution = run.groups.get(draft.group) ?? this.resolveGroup(draft.group, base);
    if ('issue' in resolution) return invalid([resolution.issue]);
    const group = resolution;
    run.groups.set(draft.group, group);

    let ttlMs: number | undefined;
    if (draft.ttl !== undefined) {
      if (draft.expiresAt !== undefined) {
        return invalid([
          { path: `${base}/ttl`, message: 'cannot be given together with expiresAt: give one of them' },
        ]);
      }
      ttlMs = run.ttls.get(draft.ttl) ?? parseDuration(draft.ttl);
      run.ttls.set(draft.ttl, ttlMs);
      if (ttlMs <= 0)
        return invalid([{ path: `${base}/ttl`, message: `must be longer than 0 (was "${draft.ttl}")` }]);
    }
    const observedAt = draft.observedAt ?? run.times.get(now)!;
    // What a peer refuses as time-in-future is refused here, where the writer can be told: an event
    // without a TTL would otherwise stay pending towards every peer for ever.
    if (draft.observedAt !== undefined && Date.parse(observedAt) - now > group.replayWindowMs) {
      return invalid([
        {
          path: `${base}/observedAt`,
          message: `is later than this node's clock (${isoAt(now)}) by more than EventGroup ${group.name}'s replayWindow (${group.replayWindow}): an observation cannot be in the future, and peers refuse it`,
        },
      ]);
    }
    const expiresAt =
      draft.expiresAt ??
      (ttlMs === undefined
        ? undefined
        : timeAt(run, (draft.observedAt === undefined ? now : Date.parse(observedAt)) + ttlMs));
    const expiryField = draft.ttl === undefined ? 'expiresAt' : 'ttl';
    if (expiresAt !== undefined && Date.parse(expiresAt) <= now) {
      return invalid([
        {
          path: `${base}/${expiryField}`,
          message: `makes the event expire at ${expiresAt}, which has already passed`,
        },
      ]);
    }
    // The same bound a receiver applies (it caps a peer's expiry there): refused here, where the writer
    // can be told, rather than silently shortened on the other side.
    if (expiresAt !== undefined && Date.parse(expiresAt) - now > group.maxEventTtlMs) {
      return invalid([
        {
          path: `${base}/${expiryField}`,
          message: `makes the event expire at ${expiresAt}, more than the group's maxEventTtl (${group.maxEventTtl}) from now: shorten it, or raise spec.maxEventTtl of EventGroup ${group.name}`,
        },
      ]);
    }

    const event: Event = {
      id: draft.id ?? this.nextId(now),
      group: group.name,
      sourceNode: group.nodeName,
      type: draft.type,
      payload: draft.payload,
      observedAt,
    };
    if (draft.subject !== undefined) event.subject = draft.subject;
    if (draft.dedupeKey !== undefined) event.dedupeKey = draft.dedupeKey;
    if (expiresAt !== undefined) event.expiresAt = expiresAt;
    // Where an observation is born, or what it caused: a new span either way (docs/protocol.md § Trace context).
    Object.assign(event, run.cause ? childTraceContext(run.cause) : newTraceContext());

    // The envelope's own rules (size limit, expiresAt after observedAt), then the well-known payload.
    // Every other field of the envelope was checked with the request or comes from the config, so the
    // whole schema runs only for the words of a refusal.
    if (!narrows.eventBounds.holds(event)) {
      const envelope = check(Event, event, base);
      if (!envelope.ok) return invalid(envelope.issues);
    }
    if (!payloadHolds(event.type, event.payload)) {
      const payloadSchema = (wellKnownPayloads as Record<string, Type<unknown>>)[event.type]!;
      const payload = check(payloadSchema, event.payload, `${base}/payload`);
      if (!payload.ok) return invalid(payload.issues);
    }

    const loop = feedbackLoopIssue(event, this.options.noObserve, base);
    if (loop) return { ok: false, code: 'self_captured_address', issues: [loop] };
    return { ok: true, event };
  }

  private resolveGroup(requested: string | undefined, base: string): ResolvedGroup | { issue: Issue } {
    const groups = this.options.config().groups.map((g) => g.resource);
    const names = groups.map((g) => g.metadata.name).join(', ');
    if (requested === undefined) {
      if (groups.length === 1) return resolved(groups[0]!);
      return {
        issue: {
          path: `${base}/group`,
          message: `is required: several EventGroups are configured (${names})`,
        },
      };
    }
    const group = groups.find((g) => g.metadata.name === requested);
    if (!group)
      return {
        issue: {
          path: `${base}/group`,
          message: `is not a configured EventGroup (configured: ${names}; was "${requested}")`,
        },
      };
    return resolved(group);
  }
}

/** EmitRequest's keys, read from the schema: what the SDK's precompiled EventDraft gate does not check. */
const EMIT_REQUEST_KEYS = new Set<string>(EmitRequest.props.map((p) => p.key as string));

/**
 * Whether EmitRequest accepts a value, without running the schema: the SDK's EventDraft gate, no key the
 * request does not declare, and `group` a Name. The schema runs only for a refused request, for the words
 * of its issues (and its verdict stands).
 */
function emitRequestHolds(value: unknown): value is EmitRequest {
  if (!gates.EventDraft(value)) return false;
  for (const key of Object.keys(value)) if (!EMIT_REQUEST_KEYS.has(key)) return false;
  const group = (value as { group?: unknown }).group;
  return group === undefined || Name.allows(group);
}

interface RunContext {
  now: number;
  /** By the group a request names (undefined: the only group). */
  groups: Map<string | undefined, ResolvedGroup>;
  /** ttl text → milliseconds. */
  ttls: Map<string, number>;
  /** Epoch ms → RFC 3339, for the times of this run (most events of a batch share both). */
  times: Map<number, string>;
  /** The event this call's events answer, if any (EmitTrace). */
  cause: TraceContext | undefined;
}

function timeAt(run: RunContext, ms: number): string {
  let text = run.times.get(ms);
  if (text === undefined) {
    text = isoAt(ms);
    run.times.set(ms, text);
  }
  return text;
}

interface ResolvedGroup {
  name: string;
  nodeName: string;
  maxEventTtl: string;
  maxEventTtlMs: number;
  replayWindow: string;
  replayWindowMs: number;
}

function resolved(group: FederationConfig['groups'][number]['resource']): ResolvedGroup {
  return {
    name: group.metadata.name,
    nodeName: group.spec.nodeName,
    maxEventTtl: group.spec.maxEventTtl,
    maxEventTtlMs: parseDuration(group.spec.maxEventTtl),
    replayWindow: group.spec.replayWindow,
    replayWindowMs: parseDuration(group.spec.replayWindow),
  };
}

/** The issue for an id that already belongs to another event: which node owns it, and what differs. */
function conflictIssue(outcome: InsertOutcome, base: string): Issue {
  const c = outcome.conflict!;
  return {
    path: `${base}/id`,
    message: `already belongs to another event (from node "${c.owner}"; differs in ${c.fields.join(', ')}): an event id is owned by its source — use a new id`,
  };
}
