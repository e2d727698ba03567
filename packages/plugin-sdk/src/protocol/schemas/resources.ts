import { type } from 'arktype';
import { API_VERSION_NET, PLAN_ACTIONS, type WELL_KNOWN_RESOURCE_KINDS } from '../constants.js';
import { IPv4Cidr, IPv4HostCidr, JsonObject, Mac, Metadata, Name, Timestamp } from './common.js';

/** Any Kubernetes-style resource a plugin proposes. Well-known kinds are checked again by their own schema. */
export const Resource = type({
  apiVersion: /^[a-z0-9.-]+\/v[0-9]+(?:(?:alpha|beta)[0-9]+)?$/,
  kind: /^[A-Z][A-Za-z0-9]{0,62}$/,
  metadata: Metadata,
  'spec?': JsonObject,
});
export type Resource = typeof Resource.infer;

/** The claim that the cloud node should capture an on-prem client address. Name: `onprem-10-88-60-9`. */
export const RemoteAddressClaim = type({
  apiVersion: `'${API_VERSION_NET}'`,
  kind: "'RemoteAddressClaim'",
  metadata: Metadata,
  spec: {
    address: IPv4HostCidr,
    domain: Name,
    /** The node that observed the address: the single writer for (domain, address). */
    ownerNode: Name,
    'ownerSide?': Name,
    'mac?': Mac,
    'observedAt?': Timestamp,
    'provider?': 'string',
  },
});
export type RemoteAddressClaim = typeof RemoteAddressClaim.infer;

export const wellKnownResources = { RemoteAddressClaim } as const satisfies Record<
  (typeof WELL_KNOWN_RESOURCE_KINDS)[number],
  unknown
>;

/** Hide a startup resource from the effective config (only where a DynamicOverridePolicy allows it). */
export const Directive = type({
  op: "'mask'",
  target: { kind: 'string > 0', name: 'string > 0' },
  reason: 'string > 0',
});
export type Directive = typeof Directive.infer;

export const Provider = type("'aws' | 'azure' | 'oci' | 'gcp'");
export const PlanAction = type.enumerated(...PLAN_ACTIONS);
export type PlanAction = (typeof PLAN_ACTIONS)[number];

/** How an executor reads a CLI outcome: regular expressions matched against stderr/stdout. */
export const StepOutcomes = type({
  /** The desired state already holds: success, nothing to do ("already assigned" = success). */
  alreadyDone: 'string[]',
  /** The address is held by another NIC/instance: stop and report, never seize. */
  heldElsewhere: 'string[]',
  /** Transient: retry with backoff. */
  retry: 'string[]',
  /**
   * The provider refused the request for a reason a retry does not change (no permission, a limit, a
   * NIC that does not exist, an address the subnet cannot give): stop and report the reason. Optional:
   * a plan without it reads as before (an unexplained non-zero exit is a failure).
   */
  'refused?': 'string[]',
  /** `i`: every pattern of this step ignores case (resource ids such as Azure's are case-insensitive). */
  'flags?': "'i'",
});

export const PlanStep = type({
  id: 'string > 0',
  /** The executable, looked up on PATH by an executor: aws, az, oci. */
  tool: 'string > 0',
  /** The exact arguments, one array element each; never a shell string. */
  argv: 'string[]',
  mutating: 'boolean',
  outcomes: StepOutcomes,
  'timeoutSeconds?': 'number.integer > 0',
});
export type PlanStep = typeof PlanStep.infer;

export const ActionPlan = type({
  name: 'string > 0',
  provider: Provider,
  action: PlanAction,
  /** Plans are inert: `execute` is reserved for a later executor protocol and refused today. */
  mode: "'dry-run'",
  /** Same input → same key, so an executor can refuse to apply a plan twice. */
  idempotencyKey: 'string > 0',
  riskLevel: "'low' | 'medium' | 'high'",
  target: {
    nicRef: 'string > 0',
    'address?': IPv4HostCidr,
    'region?': 'string',
    'resourceGroup?': 'string',
    'nicName?': 'string',
    'ipConfigName?': 'string',
    'compartmentId?': 'string',
    'subnetRef?': 'string',
    'subnetCidr?': IPv4Cidr,
  },
  auth: { mode: 'string > 0', 'fallback?': 'string[]' },
  /** The observations (event ids) this plan rests on. */
  basedOn: type({
    eventId: 'string',
    'type?': 'string',
    'sourceNode?': 'string',
    'observedAt?': 'string',
  }).array(),
  preconditions: type({ name: 'string > 0', expect: 'string > 0', 'ok?': 'boolean' }).array(),
  expectedEffects: 'string[]',
  steps: PlanStep.array(),
  'verify?': { tool: 'string > 0', argv: 'string[]', expect: 'string > 0' },
  'undo?': {
    action: PlanAction,
    'steps?': PlanStep.array(),
    /** What the undo changes; absent: the address named in target is released. */
    'expectedEffects?': 'string[]',
    /**
     * `prior-value`: the undo puts back what the plan's read-only check read before the change (a NIC's
     * forwarding setting). An executor runs it only when its journal recorded that reading: the check
     * ran and found the setting not yet as the plan wants. When the check found it already so, the plan
     * changed nothing and there is nothing to restore.
     */
    'restores?': "'prior-value'",
  },
  /**
   * `provision` brings an address in (apply promptly); `teardown` takes it away (a host holds it for
   * its grace period and drops it when the address is observed again).
   */
  'phase?': "'provision' | 'teardown'",
  'notBefore?': Timestamp,
});
export type ActionPlan = typeof ActionPlan.infer;
