/**
 * `routerd.provider.action.succeeded|failed`: what a finished execution tells the node that owns the
 * address. Only outcomes the cloud decided are news; a cancelled or undone execution changed nothing there.
 */
import {
  type ExecutionRecord,
  ProviderActionEventTypes,
  type ProviderActionOutcomePayload,
} from '@routerd/host-wire';
import { type EventDraft, hostAddress, type TraceContext, traceContextOf } from '@routerd/plugin-sdk';

/** Where an execution's news goes: the group its part's events go to, and the address's owner. */
export interface OutcomeRoute {
  group: string;
  ownerNode?: string;
}

/** The states an outcome event reports, each with its event type: the payload's `state`. */
const TYPE_OF: Record<ProviderActionOutcomePayload['state'], string> = {
  succeeded: ProviderActionEventTypes.succeeded,
  'already-done': ProviderActionEventTypes.succeeded,
  failed: ProviderActionEventTypes.failed,
  'held-elsewhere': ProviderActionEventTypes.failed,
};
const isReported = (state: ExecutionRecord['state']): state is ProviderActionOutcomePayload['state'] =>
  Object.hasOwn(TYPE_OF, state);

/** The part an execution came from (`DynamicConfigPart/<name>`), if it came from one. */
export function partOf(record: Pick<ExecutionRecord, 'source'>): string | undefined {
  const [kind, ...name] = record.source.split('/');
  return kind === 'DynamicConfigPart' && name.length ? name.join('/') : undefined;
}

export function outcomeEvent(
  r: ExecutionRecord,
  route: OutcomeRoute,
): (EventDraft & { group: string }) | undefined {
  const state = r.state;
  if (!isReported(state)) return undefined;
  const type = TYPE_OF[state];
  const address = r.address ? `${hostAddress(r.address)}/32` : undefined;
  const payload: ProviderActionOutcomePayload = {
    execution: r.id,
    plan: r.plan.name,
    provider: r.provider,
    action: r.action,
    phase: r.phase,
    idempotencyKey: r.idempotencyKey,
    state,
    nic: r.nic,
    ...(address ? { address } : {}),
    ...(route.ownerNode ? { ownerNode: route.ownerNode } : {}),
    ...(r.reason ? { reason: r.reason } : {}),
    finishedAt: r.finishedAt ?? r.updatedAt,
    ...(r.undoOf ? { undoOf: r.undoOf } : {}),
  };
  return {
    group: route.group,
    type,
    ...(address ? { subject: address } : {}),
    // One event per execution, however often the journal is read back.
    dedupeKey: `${r.id}|${r.state}`,
    ttl: '1h',
    payload,
  };
}

/** The executor's onFinished: each finished execution's event, written where its route says. */
export function outcomeReporter(o: {
  route: (part: string) => OutcomeRoute | undefined;
  /** `cause`: the execution's own trace context, so the event is its child in the observation's trace. */
  emit: (draft: EventDraft & { group: string }, cause?: TraceContext) => void;
  log: (level: 'error', msg: string, fields: Record<string, unknown>) => void;
  /** An execution by id: an undo (asked for by a person) goes where the execution it undoes went. */
  execution?: (id: string) => ExecutionRecord | undefined;
}): (record: ExecutionRecord) => void {
  return (record) => {
    const undone = record.undoOf ? o.execution?.(record.undoOf) : undefined;
    const part = partOf(record) ?? (undone && partOf(undone));
    const route = part ? o.route(part) : undefined;
    const draft = route && outcomeEvent(record, route);
    if (!draft) return;
    // The execution is journaled whatever happens here: a refused write (a full disk) is logged.
    try {
      o.emit(draft, traceContextOf(record));
    } catch (err) {
      o.log('error', 'could not write the action outcome event', {
        err: (err as Error).message,
        id: record.id,
      });
    }
  };
}
