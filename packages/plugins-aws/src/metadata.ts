import { IPV4_CIDR_PATTERN, IPV4_PATTERN } from '@routerd/plugin-sdk';
import type { IdentityDiscovery, MetadataClient, RouterIdentity } from '@routerd/plugin-sdk/domain';
import type { AwsConfig } from './config.js';

/** IMDSv2 token lifetime: the 6 h maximum; the plugin asks for a new one at every discovery anyway. */
const TOKEN_TTL_SECONDS = '21600';
const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;
const ENI = /^eni-[0-9a-f]{8,17}$/;
const SUBNET = /^subnet-[0-9a-f]{8,17}$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;

/**
 * IMDSv2: PUT a session token, then GET each fact with it. The ENI is the one with `macAddress`, or the
 * primary; its first local IPv4 is its primary address (the others may be addresses captured earlier).
 */
export async function discoverAwsIdentity(imds: MetadataClient, config: AwsConfig): Promise<RouterIdentity> {
  const token = await imds.textMatching('/latest/api/token', /^\S+$/, {
    method: 'PUT',
    headers: { 'X-aws-ec2-metadata-token-ttl-seconds': TOKEN_TTL_SECONDS },
  });
  const auth = { headers: { 'X-aws-ec2-metadata-token': token } };
  const mac = config.macAddress ?? (await imds.textMatching('/latest/meta-data/mac', MAC, auth));
  const nic = `/latest/meta-data/network/interfaces/macs/${mac}`;
  const nicRef = await imds.textMatching(`${nic}/interface-id`, ENI, auth);
  const subnetCidr = await imds.textMatching(`${nic}/subnet-ipv4-cidr-block`, IPV4_CIDR_PATTERN, auth);
  const subnetRef = await imds.textMatching(`${nic}/subnet-id`, SUBNET, auth);
  const locals = (await imds.text(`${nic}/local-ipv4s`, auth)).split(/\s+/).filter(Boolean);
  if (locals.length === 0 || !locals.every((a) => IPV4_PATTERN.test(a))) {
    throw imds.malformed(
      `${nic}/local-ipv4s`,
      auth,
      `expected IPv4 addresses, one a line, got ${JSON.stringify(locals.join(' ').slice(0, 80))}`,
    );
  }
  const region = await imds.textMatching('/latest/meta-data/placement/region', REGION, auth);
  return { nicRef, subnetCidr, subnetRef, region, ownAddresses: [locals[0]!] };
}

export const imdsV2: IdentityDiscovery<AwsConfig> = {
  service: 'AWS IMDSv2',
  defaultBaseUrl: 'http://169.254.169.254',
  // Every aws ec2 call names its region.
  requiredIdentity: ['region'],
  discover: discoverAwsIdentity,
};
