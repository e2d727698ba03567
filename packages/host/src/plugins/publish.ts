/**
 * The host side of `events/publish` (docs/protocol.md § 7): a long-lived observer's drafts go through
 * the EmitPipeline like any local write — validation, group/sourceNode/id/expiry filled by the host, the
 * no-feedback-loop guard — each with its own verdict. Stored events reach peers through the outbox.
 */
import type { EventDraft, PublishEnvelope, PublishResult } from '@routerd/plugin-sdk';
import type { EmitPipeline } from '../events/emit.js';

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

export function publishDrafts(pipeline: EmitPipeline, params: PublishEnvelope): PublishResult {
  // The SDK checked the envelope only: each draft is judged here on its own, by the emit pipeline.
  const drafts = params.events.map(knownFields);
  const verdicts = pipeline.emitEach(drafts);
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
