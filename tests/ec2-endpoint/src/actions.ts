import { Ec2Error } from './errors.js';
import { addressProblem, type Ec2Action, type Eni, type Vpc } from './state.js';
import type { XmlValue } from './xml.js';

/** The form fields of one request, as the CLI's ec2 protocol serializer sends them (lists are `Name.1`, `Name.2`, …). */
export class Params {
  constructor(private readonly form: URLSearchParams) {}

  get(name: string): string | undefined {
    return this.form.get(name) ?? undefined;
  }

  required(name: string): string {
    const value = this.get(name);
    if (value === undefined || value === '') throw new Ec2Error('missingParameter', { name });
    return value;
  }

  /** `Name.1`, `Name.2`, … in order. */
  list(name: string): string[] {
    const out: string[] = [];
    for (let n = 1; this.form.has(`${name}.${n}`); n++) out.push(this.form.get(`${name}.${n}`)!);
    return out;
  }

  names(): string[] {
    return [...new Set(this.form.keys())];
  }
}

interface ActionHandler {
  /** The form fields this action understands; any other is answered as not modelled, naming it. */
  fields: RegExp[];
  run(p: Params, vpc: Vpc): Record<string, XmlValue | undefined>;
}

// A constant attach time: the fixture's answers do not depend on when a test runs.
const ATTACH_TIME = '2026-01-01T00:00:00.000Z';

function attachment(eni: Eni): XmlValue | undefined {
  if (!eni.instanceId) return undefined;
  return {
    attachmentId: `eni-attach-${eni.id.slice(4)}`,
    instanceId: eni.instanceId,
    instanceOwnerId: '123456789012',
    deviceIndex: 0,
    status: 'attached',
    attachTime: ATTACH_TIME,
    deleteOnTermination: true,
    networkCardIndex: 0,
  };
}

/** One `<item>` of `networkInterfaceSet`, the NetworkInterface shape of the botocore model. */
function networkInterface(eni: Eni): XmlValue {
  return {
    networkInterfaceId: eni.id,
    subnetId: eni.subnetId,
    vpcId: 'vpc-0a1b2c3d4e5f60718',
    availabilityZone: 'ap-northeast-1a',
    description: '',
    ownerId: '123456789012',
    requesterManaged: false,
    status: eni.instanceId ? 'in-use' : 'available',
    macAddress: eni.macAddress,
    privateIpAddress: eni.primaryIp,
    sourceDestCheck: eni.sourceDestCheck,
    groupSet: [],
    attachment: attachment(eni),
    privateIpAddressesSet: [eni.primaryIp, ...eni.secondaryIps].map((ip) => ({
      privateIpAddress: ip,
      primary: ip === eni.primaryIp,
    })),
    ipv6AddressesSet: [],
    interfaceType: 'interface',
    tagSet: [],
  };
}

/** The DescribeNetworkInterfaces filters a plan or an executor's held-elsewhere check can use. */
const FILTERS: Record<string, (eni: Eni) => string[]> = {
  'network-interface-id': (e) => [e.id],
  'subnet-id': (e) => [e.subnetId],
  'mac-address': (e) => [e.macAddress],
  'private-ip-address': (e) => [e.primaryIp, ...e.secondaryIps],
  'addresses.private-ip-address': (e) => [e.primaryIp, ...e.secondaryIps],
  'attachment.instance-id': (e) => (e.instanceId ? [e.instanceId] : []),
  'source-dest-check': (e) => [String(e.sourceDestCheck)],
};

function filters(p: Params): Array<[(eni: Eni) => string[], string[]]> {
  const out: Array<[(eni: Eni) => string[], string[]]> = [];
  for (let n = 1; p.get(`Filter.${n}.Name`) !== undefined; n++) {
    const name = p.get(`Filter.${n}.Name`)!;
    const values = FILTERS[name];
    if (!values) throw new Ec2Error('invalidFilter', { name });
    out.push([values, p.list(`Filter.${n}.Value`)]);
  }
  return out;
}

const unique = (xs: string[]) => [...new Set(xs)];

export const handlers: Record<Ec2Action, ActionHandler> = {
  AssignPrivateIpAddresses: {
    fields: [/^NetworkInterfaceId$/, /^PrivateIpAddress\.\d+$/, /^AllowReassignment$/],
    run(p, vpc) {
      const eni = vpc.eni(p.required('NetworkInterfaceId'));
      const ips = unique(p.list('PrivateIpAddress'));
      if (!ips.length) throw new Ec2Error('missingParameter', { name: 'PrivateIpAddress.1' });
      const reassign = p.get('AllowReassignment') === 'true';
      const fresh: string[] = [];
      const moveFrom = new Map<string, Eni>();
      const held: string[] = [];
      for (const ip of ips) {
        const problem = addressProblem(eni.subnetCidr, ip);
        if (problem) throw new Ec2Error(problem, { ip });
        const holder = vpc.holderOf(ip);
        // Already this ENI's: EC2 answers success and changes nothing (README, "Assigning twice").
        if (holder === eni) continue;
        if (holder?.primaryIp === ip) throw new Ec2Error('primaryOfAnother');
        if (holder && !reassign) held.push(ip);
        if (holder) moveFrom.set(ip, holder);
        fresh.push(ip);
      }
      if (held.length) throw new Ec2Error('heldElsewhere', { ips: held.join(', ') });
      if (1 + eni.secondaryIps.length + fresh.length > eni.maxPrivateIps) throw new Ec2Error('limitExceeded');
      // Every refusal is above: a refused request leaves every ENI as it was.
      for (const [ip, holder] of moveFrom) holder.secondaryIps = holder.secondaryIps.filter((a) => a !== ip);
      eni.secondaryIps.push(...fresh);
      return {
        return: true,
        networkInterfaceId: eni.id,
        assignedPrivateIpAddressesSet: ips.map((ip) => ({ privateIpAddress: ip })),
        assignedIpv4PrefixSet: [],
      };
    },
  },

  UnassignPrivateIpAddresses: {
    fields: [/^NetworkInterfaceId$/, /^PrivateIpAddress\.\d+$/],
    run(p, vpc) {
      const eni = vpc.eni(p.required('NetworkInterfaceId'));
      const ips = unique(p.list('PrivateIpAddress'));
      if (!ips.length) throw new Ec2Error('missingParameter', { name: 'PrivateIpAddress.1' });
      for (const ip of ips) {
        if (ip === eni.primaryIp) throw new Ec2Error('unassignPrimary', { ip });
        if (!eni.secondaryIps.includes(ip)) throw new Ec2Error('notAssigned', { eni: eni.id });
      }
      eni.secondaryIps = eni.secondaryIps.filter((a) => !ips.includes(a));
      return { return: true };
    },
  },

  DescribeNetworkInterfaces: {
    fields: [/^NetworkInterfaceId\.\d+$/, /^Filter\.\d+\.Name$/, /^Filter\.\d+\.Value\.\d+$/],
    run(p, vpc) {
      const ids = p.list('NetworkInterfaceId');
      const chosen = ids.length ? ids.map((id) => vpc.eni(id)) : [...vpc.enis.values()];
      const applied = filters(p);
      const matching = chosen.filter((eni) =>
        applied.every(([valuesOf, wanted]) => valuesOf(eni).some((v) => wanted.includes(v))),
      );
      return { networkInterfaceSet: matching.map(networkInterface) };
    },
  },

  ModifyNetworkInterfaceAttribute: {
    fields: [/^NetworkInterfaceId$/, /^SourceDestCheck\.Value$/],
    run(p, vpc) {
      const eni = vpc.eni(p.required('NetworkInterfaceId'));
      eni.sourceDestCheck = p.required('SourceDestCheck.Value') === 'true';
      return { return: true };
    },
  },

  DescribeNetworkInterfaceAttribute: {
    fields: [/^NetworkInterfaceId$/, /^Attribute$/],
    run(p, vpc) {
      const eni = vpc.eni(p.required('NetworkInterfaceId'));
      const attribute = p.required('Attribute');
      if (attribute === 'sourceDestCheck')
        return { networkInterfaceId: eni.id, sourceDestCheck: { value: eni.sourceDestCheck } };
      if (attribute === 'attachment') return { networkInterfaceId: eni.id, attachment: attachment(eni) };
      throw new Ec2Error('notModelled', { name: `Attribute=${attribute}` });
    },
  },
};
