import { addressClaimConfigShape } from '@routerd/plugin-sdk/domain';
import { type } from 'arktype';

const Ocid = (kind: string) =>
  type(new RegExp(`^ocid1\\.${kind}\\.[a-z0-9-]*\\.[a-z0-9-]*\\.[a-z0-9]+$`)).describe(`an OCI ${kind} OCID`);

/** The plugin's `spec.config`: the shared address-claim fields plus what OCI IMDS cannot tell. */
export const OciConfig = type({
  ...addressClaimConfigShape,
  /** The VNIC's subnet OCID: IMDS gives its CIDR only, and the private-IP look-ups need the OCID. */
  'subnetId?': Ocid('subnet'),
  /** Which VNIC to capture on; the instance's first (primary) VNIC when absent. */
  'vnicId?': Ocid('vnic'),
});
export type OciConfig = typeof OciConfig.infer;
