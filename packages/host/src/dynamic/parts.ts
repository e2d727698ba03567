/** DynamicConfigParts: their content, digest and generation, and writing them with their plan announcements. */
import { createHash } from 'node:crypto';
import { API_VERSION_CONFIG, type DynamicConfigPart } from '@routerd/host-wire';
import type { ActionPlan, Directive, Resource } from '@routerd/plugin-sdk';
import type { DynamicStore, StoredPart } from '../store/dynamic-parts.js';
import { announcementDrafts, type LocalDraft } from './acknowledgements.js';

/** What a part carries. */
export interface PartContent {
  resources: Resource[];
  directives: Directive[];
  actionPlans: ActionPlan[];
}

export const digestOf = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex');

export const isEmpty = (c: PartContent) =>
  c.resources.length === 0 && c.directives.length === 0 && c.actionPlans.length === 0;

/** The part's digest ignores the event-ids annotation: a refresh by newer events is not a new generation. */
export function partDigest(content: PartContent): string {
  return digestOf({
    resources: content.resources.map((r) => ({ ...r, metadata: { name: r.metadata.name } })),
    directives: content.directives,
    actionPlans: content.actionPlans,
  });
}

/** Whether a stored part is in the config at `now`: active, and not past its TTL. */
export const isLive = (p: StoredPart, now: number) =>
  p.state === 'active' && (p.expiresAtMs === null || p.expiresAtMs > now);

/**
 * The generation moves on when the content changes, or when a part that had left the config (released,
 * or past its TTL) comes back.
 */
export function nextGeneration(prev: StoredPart | undefined, digest: string, now: number): number {
  if (!prev) return 1;
  return prev.digest === digest && isLive(prev, now) ? prev.generation : prev.generation + 1;
}

/** Writes parts into the store; plans are announced once per life of their part. */
export class PartWriter {
  constructor(
    private readonly store: DynamicStore,
    private readonly groupOf: (source: string) => string | undefined,
  ) {}

  write(
    name: string,
    source: string,
    now: number,
    expiresAtMs: number,
    content: PartContent,
  ): DynamicConfigPart {
    const digest = partDigest(content);
    const prev = this.store.part(name);
    // A part back after its TTL ran out starts a new life: its plans are announced (and journaled) again,
    // since the executions of its last life were cancelled when it lapsed.
    if (prev && prev.state === 'active' && !isLive(prev, now)) this.store.forgetAnnouncements(name);
    const part: DynamicConfigPart = {
      apiVersion: API_VERSION_CONFIG,
      kind: 'DynamicConfigPart',
      metadata: { name },
      spec: {
        source,
        generation: nextGeneration(prev, digest, now),
        observedAt: new Date(now).toISOString(),
        expiresAt: new Date(expiresAtMs).toISOString(),
        digest,
        resources: content.resources,
        directives: content.directives,
        actionPlans: content.actionPlans,
      },
    };
    this.store.upsertPart(part, expiresAtMs, now);
    return part;
  }

  /**
   * Plans of the part not announced before (`routerd.provider.action.planned`), and the events that
   * announce them — for the caller to write once its transaction has committed.
   */
  announce(part: DynamicConfigPart, now: number): { fresh: ActionPlan[]; drafts: LocalDraft[] } {
    const fresh = part.spec.actionPlans.filter((p) =>
      this.store.announce(p.idempotencyKey, part.metadata.name, now),
    );
    const group = this.groupOf(part.spec.source);
    return { fresh, drafts: fresh.length && group ? announcementDrafts(group, part, fresh) : [] };
  }
}
