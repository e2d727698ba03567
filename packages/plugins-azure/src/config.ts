import { addressClaimConfigShape } from '@routerd/plugin-sdk/domain';
import { type } from 'arktype';

/** Azure resource names: what `az` accepts for a NIC or a resource group. */
const AzureName = type(/^[A-Za-z0-9][A-Za-z0-9._()-]{0,88}$/).describe('an Azure resource name');

/** The plugin's `spec.config`: the shared address-claim fields plus what Azure IMDS cannot tell. */
export const AzureConfig = type({
  ...addressClaimConfigShape,
  /** The NIC's name: IMDS lists NICs by MAC only. Needed unless `identity` is given. */
  'nicName?': AzureName,
  /** Overrides IMDS `compute.resourceGroupName` (a NIC may live in another group than its VM). */
  'resourceGroup?': AzureName,
  /** Which IMDS interface is that NIC, by MAC (any separators); required when IMDS lists more than one. */
  'macAddress?': type(/^[0-9A-Fa-f]{2}(?:[-:]?[0-9A-Fa-f]{2}){5}$/).describe(
    'a MAC such as 00:0D:3A:32:85:70',
  ),
  imdsApiVersion: type(/^\d{4}-\d{2}-\d{2}$/).default('2021-02-01'),
});
export type AzureConfig = typeof AzureConfig.infer;
