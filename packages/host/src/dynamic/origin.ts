/** Where a result came from, and what that decides: part names, group, grace. Never which checks apply. */
import { addressSlug, parseDuration, type RemoteAddressClaim } from '@routerd/plugin-sdk';
import type { EventSubscription, FederationConfig } from '../config/index.js';
import { digestOf, isEmpty, type PartContent } from './parts.js';

/** `EventSubscription.spec.teardown.grace`'s default, for claims no subscription owns. */
export const DEFAULT_GRACE_MS = 30 * 60_000;

/** What produced a result: a subscription's batch, or a manual or interval run of a plugin. */
export type ResultOrigin =
  | { subscription: EventSubscription }
  | { plugin: string; trigger?: 'interval' | 'manual' };

/** How an origin's parts are named and released; the checks are the same for every origin. */
export interface Origin {
  /** `EventSubscription/<name>` or `Plugin/<name>`. */
  source: string;
  /** Parts are `<prefix>-<a-b-c-d>` (one per claimed address) and, for refusals, `<prefix>`. */
  prefix: string;
  group: string;
  /** The claim ledger's subscription column: empty for plugin runs. */
  subscription: string;
  graceMs: number;
  /**
   * Whether accepted parts are acknowledged: a subscription answers the peers whose observations it
   * handled; a manual or interval run was handed no received observations, so it has nobody to answer.
   * A refusal is acknowledged whatever the origin, so it is visible however the run was triggered.
   */
  acknowledgeAccepted: boolean;
  /** Name of the part for everything but claims, or none. */
  restPart: (rest: PartContent) => string | undefined;
}

/** The group local events of a plugin run go to: the first EventGroup (a plugin belongs to none). */
const pluginGroup = (config: FederationConfig) => config.groups[0]?.resource.metadata.name;

export function describeOrigin(origin: ResultOrigin, config: FederationConfig): Origin {
  if ('subscription' in origin) {
    const sub = origin.subscription;
    const name = sub.metadata.name;
    return {
      source: `EventSubscription/${name}`,
      prefix: name,
      group: sub.spec.groupRef,
      subscription: name,
      graceMs: parseDuration(sub.spec.teardown.grace),
      acknowledgeAccepted: true,
      // Everything but claims goes in a part named after its content: runs proposing the same add nothing.
      restPart: (rest) => (isEmpty(rest) ? undefined : `${name}-${digestOf(rest).slice(0, 12)}`),
    };
  }
  const prefix = `plugin-${origin.plugin}`;
  return {
    source: `Plugin/${origin.plugin}`,
    prefix,
    group: pluginGroup(config) ?? '',
    // No subscription owns the claim: it is released after the default grace.
    subscription: '',
    graceMs: DEFAULT_GRACE_MS,
    acknowledgeAccepted: false,
    // One part per plugin, replaced by each run (an empty run clears it).
    restPart: () => prefix,
  };
}

/** `<prefix>-<a-b-c-d>`: one part per claimed address, so addresses come and go independently. */
export const claimPartName = (origin: Origin, claim: RemoteAddressClaim) =>
  `${origin.prefix}-${addressSlug(claim.spec.address)}`;

/** The grace of the subscription a claim was made through (the default for plugin runs' claims). */
export function graceOf(config: FederationConfig, subscription: string): number {
  const sub = config.subscriptions.find((s) => s.resource.metadata.name === subscription)?.resource;
  return sub ? parseDuration(sub.spec.teardown.grace) : DEFAULT_GRACE_MS;
}

/** The group a part's local events (plan announcements) go to, from its source. */
export function groupOfSource(config: FederationConfig, source: string): string | undefined {
  const [kind, name] = source.split('/');
  if (kind === 'EventSubscription')
    return config.subscriptions.find((s) => s.resource.metadata.name === name)?.resource.spec.groupRef;
  return pluginGroup(config);
}
