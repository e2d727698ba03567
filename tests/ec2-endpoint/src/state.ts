import { type } from 'arktype';
import ipaddr from 'ipaddr.js';
import { Ec2Error, type Ec2ErrorCase } from './errors.js';

/** The EC2 actions the AWS plugin's plans call (packages/plugins-aws/src/commands.ts), and the one read of the check. */
export const EC2_ACTIONS = [
  'AssignPrivateIpAddresses',
  'UnassignPrivateIpAddresses',
  'DescribeNetworkInterfaces',
  'ModifyNetworkInterfaceAttribute',
  'DescribeNetworkInterfaceAttribute',
] as const;
export type Ec2Action = (typeof EC2_ACTIONS)[number];

const ipv4 = type('string.ip.v4');
const cidr = type('string').narrow((s, ctx) =>
  /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(s) && ipaddr.isValidCIDR(s)
    ? true
    : ctx.mustBe('an IPv4 CIDR such as 10.88.60.0/24'),
);

/** One ENI as a test sets it up; defaults are what a fresh ENI of an m5.large has. */
export const eniSpec = type({
  id: /^eni-[0-9a-f]{8,17}$/,
  subnetCidr: cidr,
  primaryIp: ipv4,
  secondaryIps: ipv4.array().default(() => []),
  // EC2 turns the source/destination check on for every new ENI.
  sourceDestCheck: 'boolean = true',
  // IPv4 addresses per ENI, primary included (m5.large: 10); PrivateIpAddressLimitExceeded past it.
  maxPrivateIps: '1 <= number.integer <= 50 = 10',
  'instanceId?': /^i-[0-9a-f]{8,17}$/,
  'subnetId?': /^subnet-[0-9a-f]{8,17}$/,
});

export const endpointOptions = type({
  enis: eniSpec.array().atLeastLength(1),
  // Actions answered with UnauthorizedOperation, as for a role whose IAM policy lacks them.
  denied: type
    .enumerated(...EC2_ACTIONS)
    .array()
    .default(() => []),
});
export type Ec2EndpointOptions = typeof endpointOptions.inferIn;

/** An ENI's live state: what the spec said, then what the requests changed. */
export type Eni = typeof eniSpec.infer & { subnetId: string; macAddress: string };

const toInt = (a: ipaddr.IPv4) => a.toByteArray().reduce((n, b) => n * 256 + b, 0);

/** Why EC2 would refuse `ip` as an address in `subnetCidr`, if it would. */
export function addressProblem(subnetCidr: string, ip: string): Ec2ErrorCase | undefined {
  if (!ipaddr.IPv4.isValidFourPartDecimal(ip)) return 'invalidAddress';
  const address = ipaddr.IPv4.parse(ip);
  if (!address.match(ipaddr.IPv4.parseCIDR(subnetCidr))) return 'outsideSubnet';
  const offset = toInt(address) - toInt(ipaddr.IPv4.networkAddressFromCIDR(subnetCidr));
  const last =
    toInt(ipaddr.IPv4.broadcastAddressFromCIDR(subnetCidr)) -
    toInt(ipaddr.IPv4.networkAddressFromCIDR(subnetCidr));
  // AWS keeps the first four addresses and the last one of every subnet (Amazon VPC user guide, subnet sizing).
  return offset <= 3 || offset === last ? 'reserved' : undefined;
}

/** Made-up but stable IDs, derived so that two ENIs in two subnets never share one. */
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
const subnetIdOf = (subnetCidr: string) => {
  const [net, bits] = ipaddr.IPv4.parseCIDR(subnetCidr);
  return `subnet-0${hex(toInt(net), 8)}${hex(bits, 2)}`;
};
const macOf = (eniId: string) => `02:${eniId.slice(-10).padStart(10, '0').match(/../g)!.join(':')}`;

/** One VPC's ENIs, keyed by ID. Addresses are unique across them, as EC2 keeps them in a VPC. */
export class Vpc {
  readonly enis = new Map<string, Eni>();
  readonly denied: Set<Ec2Action>;

  constructor(input: Ec2EndpointOptions) {
    const options = endpointOptions.assert(input);
    this.denied = new Set(options.denied);
    options.enis.forEach((spec, n) => {
      const at = `enis[${n}]`;
      if (this.enis.has(spec.id)) throw new Error(`${at}.id: ${spec.id} is already the ID of another ENI`);
      [spec.primaryIp, ...spec.secondaryIps].forEach((ip, k) => {
        const field = k === 0 ? 'primaryIp' : `secondaryIps[${k - 1}]`;
        const problem = addressProblem(spec.subnetCidr, ip);
        if (problem)
          throw new Error(`${at}.${field}: ${ip} cannot be an address in ${spec.subnetCidr} (${problem})`);
        const holder = this.holderOf(ip);
        if (holder) throw new Error(`${at}.${field}: ${ip} is already an address of ${holder.id}`);
      });
      if (spec.secondaryIps.length + 1 > spec.maxPrivateIps)
        throw new Error(
          `${at}.secondaryIps: more addresses than maxPrivateIps (${spec.maxPrivateIps}) allows`,
        );
      this.enis.set(spec.id, {
        ...spec,
        secondaryIps: [...spec.secondaryIps],
        subnetId: spec.subnetId ?? subnetIdOf(spec.subnetCidr),
        macAddress: macOf(spec.id),
      });
    });
  }

  /** The ENI, or EC2's InvalidNetworkInterfaceID.NotFound. */
  eni(id: string): Eni {
    const eni = this.enis.get(id);
    if (!eni) throw new Ec2Error('eniNotFound', { eni: id });
    return eni;
  }

  /** The ENI's addresses, primary first. */
  addressesOf(eniId: string): string[] {
    const eni = this.eni(eniId);
    return [eni.primaryIp, ...eni.secondaryIps];
  }

  /** The ENI holding `ip` as its primary or a secondary address. */
  holderOf(ip: string): Eni | undefined {
    for (const eni of this.enis.values())
      if (eni.primaryIp === ip || eni.secondaryIps.includes(ip)) return eni;
    return undefined;
  }
}
