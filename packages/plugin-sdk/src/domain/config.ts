import { type } from 'arktype';
import { Duration, IPv4, IPv4Cidr } from '../protocol/schemas/common.js';
import { RouterIdentity } from './identity.js';

/** A fallback identity an executor may use after the instance identity: a named CLI profile, or the environment. */
export const AuthConfig = type({
  /** A CLI profile name (AWS/OCI `--profile`), never a key. */
  'profile?': type(/^[A-Za-z0-9_.-]{1,64}$/).describe('a profile name of letters, digits, _ . -'),
  /** Credentials from the executor's environment (AWS_*, an existing `az login`, OCI_CLI_*). */
  env: 'boolean = false',
});
export type AuthConfig = typeof AuthConfig.infer;

/** The config every address-claim plugin accepts; a provider adds its own fields next to these. */
export const addressClaimConfigShape = {
  /** The router's identity; when given, no metadata request is made. */
  'identity?': RouterIdentity,
  /** Metadata service base URL; the provider's link-local default when absent. */
  'metadataUrl?': type(/^https?:\/\/\S+$/).describe('an http:// or https:// URL'),
  metadataTimeout: Duration.default('2s'),
  /** How long a discovered identity is reused before metadata is asked again. */
  identityCacheFor: Duration.default('5m'),
  /** A further filter inside the NIC's subnet (never a way out of it); the whole subnet when absent. */
  'allowedCidrs?': IPv4Cidr.array().atLeastLength(1),
  /** More addresses that are the router's own (VIPs, other NICs) besides those discovered. */
  ownAddresses: IPv4.array().default(() => []),
  /** Propose ensure-forwarding-enabled with every assignment. */
  forwarding: 'boolean = true',
  /** Recorded as notBefore on teardown plans: last observation + this. The host's own grace still applies. */
  'teardownGrace?': Duration,
  /** How long the proposed claims and plans stay valid without a fresh run. */
  resultTtl: Duration.default('15m'),
  auth: AuthConfig.default(() => ({ env: false })),
} as const;

export const AddressClaimConfig = type(addressClaimConfigShape);
export type AddressClaimConfig = typeof AddressClaimConfig.infer;
