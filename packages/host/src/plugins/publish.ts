/**
 * The host side of `events/publish` (docs/protocol.md § 7): a long-lived observer's drafts go through
 * the EmitPipeline like any local write — validation, group/sourceNode/id/expiry filled by the host, the
 * no-feedback-loop guard — each with its own verdict. Stored events reach peers through the outbox.
 */
import type { EventDraft, PublishParams, PublishResult } from '@routerd/plugin-sdk';
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

export function publishDrafts(pipeline: EmitPipeline, params: PublishParams): PublishResult {
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
    const id = drafts[i]!.id ?? `/events/${i}`;
    const reason = v.issues.map((issue) => `${issue.path} ${issue.message}`).join('; ');
    result.rejected.push({ id, reason: v.code === 'self_captured_address' ? `refused: ${reason}` : reason });
  });
  return result;
}

function knownFields(draft: EventDraft): EventDraft {
  const out: Record<string, unknown> = {};
  for (const key of DRAFT_FIELDS) if (draft[key] !== undefined) out[key] = draft[key];
  return out as EventDraft;
}
