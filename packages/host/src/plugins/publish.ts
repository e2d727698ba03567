/**
 * The host side of `events/publish` (docs/protocol.md § 7): a long-lived observer's drafts go through
 * the EmitPipeline like any local write — validation, group/sourceNode/id/expiry filled by the host, the
 * no-feedback-loop guard — each with its own verdict. Stored events reach peers through the outbox.
 */
import type { EventDraft, PublishEnvelope, PublishResult } from '@routerd/plugin-sdk';
import type { EmitPipeline, EmitVerdict } from '../events/emit.js';

/**
 * Drafts one commit takes at most (a call is never split: one larger than this is committed alone).
 * About 10 ms of the event loop at this machine's ~20 µs per stored event; the rest waits a turn.
 */
export const MAX_DRAFTS_PER_COMMIT = 500;

/**
 * Drafts read and not yet committed, at most this many times a commit's: past it, a commit is made at once,
 * while the plugins' pipes are being read, so a flood cannot be read faster than it is stored (the memory
 * it holds stays bounded; the plugin waits on its full pipe, as it did when every call was committed alone).
 */
const WAITING_COMMITS = 4;

/** The draft fields the host reads; anything else a newer plugin sends is ignored (R-V1), not refused. */
const DRAFT_FIELDS = [
  'id',
  'type',
  'subject',
  'dedupeKey',
  'payload',
  'observedAt',
  'expiresAt',
  'ttl',
] as const satisfies readonly (keyof EventDraft)[];

interface WaitingCall {
  drafts: EventDraft[];
  resolve: (result: PublishResult) => void;
  reject: (err: unknown) => void;
}

/**
 * Calls that arrive in the same turn of the event loop are stored in one transaction: one fsync for all
 * of them. An observer that does not wait for its answers (R-P3 asks it to) sends calls back to back,
 * and several observers may publish at once; committed one by one, 20,000 one-event calls took ~9 s and
 * held the event loop up to 0.4–0.6 s at a time, a pipe's worth of calls (bench/publish-flood). Each call still
 * gets its own answer, with paths counted within the call, exactly as if it had been committed alone.
 */
export class PublishCommits {
  private waiting: WaitingCall[] = [];
  private waitingDrafts = 0;
  private scheduled = false;

  constructor(
    private readonly pipeline: EmitPipeline,
    private readonly maxDrafts = MAX_DRAFTS_PER_COMMIT,
  ) {}

  publish(params: PublishEnvelope): Promise<PublishResult> {
    // The SDK checked the envelope only: each draft is judged on its own, by the emit pipeline.
    const drafts = params.events.map(knownFields);
    return new Promise((resolve, reject) => {
      this.waiting.push({ drafts, resolve, reject });
      this.waitingDrafts += drafts.length;
      if (this.waitingDrafts > this.maxDrafts * WAITING_COMMITS) this.commitWaiting();
      else this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // After this turn's I/O: every call already read from the plugins' pipes joins the commit. A task of
    // its own, not a microtask: the answers (promise continuations) then leave after the peer pushes the
    // commit started, which Node writes on the next tick (test/federation/push-before-answer.test.ts).
    setImmediate(() => {
      this.scheduled = false;
      this.commitWaiting();
    });
  }

  private commitWaiting(): void {
    let take = 0;
    let drafts = 0;
    for (const call of this.waiting) {
      if (take > 0 && drafts + call.drafts.length > this.maxDrafts) break;
      drafts += call.drafts.length;
      take++;
    }
    const calls = this.waiting.splice(0, take);
    this.waitingDrafts -= drafts;
    // The rest go on a later turn, so timers, the control API and peers get the loop in between.
    if (this.waiting.length > 0) this.schedule();
    if (calls.length === 0) return;
    let verdicts: EmitVerdict[][];
    try {
      verdicts = this.pipeline.emitCalls(calls.map((c) => c.drafts));
    } catch (err) {
      // A commit that fails (a full disk) fails each call; one that fails for one call's sake must not
      // fail the others': each is tried alone, as if it had arrived alone.
      if (calls.length === 1) calls[0]!.reject(err);
      else for (const call of calls) this.commitAlone(call);
      return;
    }
    calls.forEach((call, i) => {
      call.resolve(publishResult(call.drafts, verdicts[i]!));
    });
  }

  private commitAlone(call: WaitingCall): void {
    try {
      call.resolve(publishResult(call.drafts, this.pipeline.emitEach(call.drafts)));
    } catch (err) {
      call.reject(err);
    }
  }
}

/** One call's answer from its drafts' verdicts. */
function publishResult(drafts: readonly EventDraft[], verdicts: readonly EmitVerdict[]): PublishResult {
  const result: PublishResult = { accepted: [], duplicates: [], rejected: [] };
  verdicts.forEach((v, i) => {
    if (v.ok) {
      // A refresh (same id, later expiry) is the plugin's "same event, refreshed": accepted.
      (v.outcome.status === 'duplicate' ? result.duplicates : result.accepted).push(v.outcome.event.id);
      return;
    }
    // A draft without an id is named by its place in the request, which is all the plugin can match on.
    const draftId = drafts[i]!.id;
    const id = typeof draftId === 'string' ? draftId : `/events/${i}`;
    const reason = v.issues.map((issue) => `${issue.path} ${issue.message}`).join('; ');
    result.rejected.push({
      id,
      reason: v.code === 'invalid_event' ? reason : `${REASON[v.code]}: ${reason}`,
    });
  });
  return result;
}

/** How a policy refusal reads in `rejected[].reason` (schema problems are listed as they are). */
const REASON = { self_captured_address: 'refused', id_conflict: 'id-conflict' } as const;

/** A draft that is not an object is passed on as is, for the pipeline to refuse with its path. */
function knownFields(draft: unknown): EventDraft {
  if (draft === null || typeof draft !== 'object' || Array.isArray(draft)) return draft as EventDraft;
  const out: Record<string, unknown> = {};
  const fields = draft as Record<string, unknown>;
  for (const key of DRAFT_FIELDS) if (fields[key] !== undefined) out[key] = fields[key];
  return out as EventDraft;
}
