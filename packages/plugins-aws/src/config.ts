import { addressClaimConfigShape } from '@routerd/plugin-sdk/domain';
import { type } from 'arktype';

/** The plugin's `spec.config`: the shared address-claim fields plus the ENI to plan for. */
export const AwsConfig = type({
  ...addressClaimConfigShape,
  /** The MAC of the ENI to capture on (lowercase, as IMDS lists it); the instance's primary ENI when absent. */
  'macAddress?': type(/^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/).describe(
    'a lowercase MAC such as 0e:1f:2a:3b:4c:5d',
  ),
});
export type AwsConfig = typeof AwsConfig.infer;
