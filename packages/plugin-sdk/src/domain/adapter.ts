import type { ActionPlan, PlanStep } from '../protocol/schemas/resources.js';
import type { AddressClaimConfig } from './config.js';
import type { RouterIdentity, RouterIdentityField } from './identity.js';
import type { MetadataClient } from './metadata.js';

/** An arktype schema whose output is Config. */
export interface ConfigSchema<Config> {
  readonly infer: Config;
  (data: unknown): unknown;
}

export type PlanTarget = ActionPlan['target'];
export type PlanVerify = NonNullable<ActionPlan['verify']>;

/** What the provider's command builders get for an address action. */
export interface AddressCommandContext {
  identity: RouterIdentity;
  target: PlanTarget;
  /** The bare address (`10.88.60.9`): every provider CLI wants it without `/32`. */
  ip: string;
}

/** What the provider's command builders get for a NIC-wide action (forwarding). */
export interface NicCommandContext {
  identity: RouterIdentity;
  target: PlanTarget;
}

/** The provider's CLI, as argv arrays with outcome patterns per step. */
export interface ProviderCommands {
  /** Capture the address as a secondary private IP; a leading read-only check step may report `alreadyDone`. */
  assign(ctx: AddressCommandContext): PlanStep[];
  /** Release it from this NIC only; never from another holder. */
  unassign(ctx: AddressCommandContext): PlanStep[];
  /**
   * Let the NIC carry traffic for addresses it does not own. A leading read-only check step that reports
   * `alreadyDone` when forwarding is on lets an executor verify the change and record the prior value.
   */
  forwarding(ctx: NicCommandContext): PlanStep[];
  /**
   * Turn forwarding back off: the forwarding plan's undo, which an executor runs only when its journal
   * recorded that forwarding was off before (see ActionPlan `undo.restores`). Without it the forwarding
   * plan has no undo.
   */
  restoreForwarding?(ctx: NicCommandContext): PlanStep[];
  verifyAssigned(ctx: AddressCommandContext): PlanVerify;
  verifyUnassigned(ctx: AddressCommandContext): PlanVerify;
  verifyForwarding(ctx: NicCommandContext): PlanVerify;
}

/** How the provider's CLI is run and what it does: everything a plan's steps are made of. */
export interface ProviderCli {
  /** The CLI executable every step runs (`aws`, `az`, `oci`, `gcloud`). */
  tool: string;
  /** The auth mode an executor uses first: `instance-profile`, `managed-identity`, `instance-principal`… */
  instanceIdentity: string;
  commands: ProviderCommands;
  /** One sentence: what forwarding means on this provider, for expectedEffects. */
  forwardingEffect(nic: string): string;
  /** Provider-only target fields (e.g. Azure's ipConfigName), merged into every plan's target. */
  targetExtras?(identity: RouterIdentity, ip: string | undefined): Partial<PlanTarget>;
}

/** How the router learns who it is from the provider's instance metadata service. */
export interface IdentityDiscovery<Config> {
  /** A name for diagnostics, e.g. "AWS IMDSv2". */
  service: string;
  /** Where the metadata service is when config.metadataUrl does not say. */
  defaultBaseUrl: string;
  /** Identity fields this provider's commands need; a config identity without them is refused at initialize. */
  requiredIdentity: readonly RouterIdentityField[];
  /** Learn the identity; throw MetadataProblem (or let MetadataClient throw it) on trouble. */
  discover(imds: MetadataClient, config: Config): Promise<RouterIdentity>;
}

/**
 * An address a provider keeps for itself in every subnet: `offset` counts from the network address
 * (0 = the network address, 1 = the next) or, when negative, from the end (-1 = the broadcast address).
 */
export interface ReservedAddress {
  offset: number;
  /** Why it is reserved, quoted in the diagnostic: "AWS: the VPC router". */
  why: string;
}

/**
 * Everything provider-specific about an address-claim plugin. The shared logic (events → claims and
 * plans, names, keys, scope, metadata error handling, the plugin itself) comes from
 * `defineAddressClaimPlugin`; an adapter only says how this cloud is asked and told.
 */
export interface ProviderAdapter<Config extends AddressClaimConfig = AddressClaimConfig> {
  provider: ActionPlan['provider'];
  /** The plugin's version; its name is `<provider>-address-claim`. */
  version: string;
  /**
   * The full config schema: `type({...addressClaimConfigShape, …provider fields})`. Typed by what it
   * infers, because an arktype Type with defaults is not assignable to a plain Type<Config>.
   */
  configSchema: ConfigSchema<Config>;
  identity: IdentityDiscovery<Config>;
  cli: ProviderCli;
  /** The addresses the provider reserves in every subnet: never planned, each refused with a diagnostic. */
  reservedAddresses: readonly ReservedAddress[];
}
