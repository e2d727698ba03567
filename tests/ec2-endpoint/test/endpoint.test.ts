// Every action the AWS plugin's plans use, through the real AWS CLI v2: what the CLI prints, its exit code,
// and the ENI state behind it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Ec2Endpoint, startEc2Endpoint } from '../src/index.js';
import { type AwsCli, awsCli } from './aws-cli.js';

const ENI = 'eni-0abc1234def567890';
const OTHER = 'eni-0fedcba9876543210';
const CLIENT = '10.88.60.9';

let ec2: Ec2Endpoint;
let aws: AwsCli;

beforeEach(async () => {
  ec2 = await startEc2Endpoint({
    enis: [
      { id: ENI, subnetCidr: '10.88.60.0/24', primaryIp: '10.88.60.4', instanceId: 'i-0123456789abcdef0' },
      { id: OTHER, subnetCidr: '10.88.60.0/24', primaryIp: '10.88.60.5', secondaryIps: ['10.88.60.20'] },
    ],
  });
  aws = awsCli(ec2.url);
});
afterEach(async () => {
  aws.cleanup();
  await ec2.close();
});

const assign = (ip: string, ...more: string[]) =>
  aws.run([
    'ec2',
    'assign-private-ip-addresses',
    '--network-interface-id',
    ENI,
    '--private-ip-addresses',
    ip,
    ...more,
  ]);
const unassign = (ip: string) =>
  aws.run([
    'ec2',
    'unassign-private-ip-addresses',
    '--network-interface-id',
    ENI,
    '--private-ip-addresses',
    ip,
  ]);
/** The plans' read: the ENI's addresses as one tab-separated line. */
const listed = async (eni = ENI) => {
  const r = await aws.run([
    'ec2',
    'describe-network-interfaces',
    '--network-interface-ids',
    eni,
    '--query',
    'NetworkInterfaces[0].PrivateIpAddresses[].PrivateIpAddress',
    '--output',
    'text',
  ]);
  expect(r, r.stderr).toMatchObject({ code: 0 });
  return r.stdout.trim().split('\t');
};
/** The CLI's error line for a service error: botocore's ClientError on stderr, exit 254 (CLI v2). */
const serviceError = (code: string, operation: string, message: string, retries = 0) => ({
  code: 254,
  stdout: '',
  // AWS_MAX_ATTEMPTS=1: the CLI reports "(reached max retries: 0)" on every error, retryable or not.
  stderr: `\nAn error occurred (${code}) when calling the ${operation} operation (reached max retries: ${retries}): ${message}\n`,
});

describe('AssignPrivateIpAddresses', () => {
  it('adds a secondary address; describe lists it; the call is signed with the fake key for the region', async () => {
    const r = await assign(CLIENT, '--output', 'json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      NetworkInterfaceId: ENI,
      AssignedPrivateIpAddresses: [{ PrivateIpAddress: CLIENT }],
      AssignedIpv4Prefixes: [],
    });
    expect(await listed()).toEqual(['10.88.60.4', CLIENT]);
    expect(ec2.calls[0]).toMatchObject({
      action: 'AssignPrivateIpAddresses',
      params: { NetworkInterfaceId: ENI, 'PrivateIpAddress.1': CLIENT },
      status: 200,
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      region: 'ap-northeast-1',
    });
  });

  it('answers success for an address the ENI already has, and changes nothing', async () => {
    expect((await assign(CLIENT)).code).toBe(0);
    const again = await assign(CLIENT, '--output', 'json');
    expect(again.code, again.stderr).toBe(0);
    expect(ec2.state.addressesOf(ENI)).toEqual(['10.88.60.4', CLIENT]);
  });

  it('refuses an address another ENI holds unless reassignment is allowed, then moves it', async () => {
    expect(await assign('10.88.60.20')).toEqual(
      serviceError(
        'InvalidParameterValue',
        'AssignPrivateIpAddresses',
        '[10.88.60.20] assigned, but move is not allowed.',
      ),
    );
    expect(ec2.state.addressesOf(OTHER)).toEqual(['10.88.60.5', '10.88.60.20']);
    const moved = await assign('10.88.60.20', '--allow-reassignment');
    expect(moved.code, moved.stderr).toBe(0);
    expect(ec2.calls.at(-1)?.params.AllowReassignment).toBe('true');
    expect(await listed()).toEqual(['10.88.60.4', '10.88.60.20']);
    expect(await listed(OTHER)).toEqual(['10.88.60.5']);
  });

  it.each([
    ['outside the subnet', '10.88.61.9', "Address does not fall within the subnet's address range"],
    ['the VPC router (+1)', '10.88.60.1', "Address 10.88.60.1 is in subnet's reserved address range"],
    ['the broadcast address', '10.88.60.255', "Address 10.88.60.255 is in subnet's reserved address range"],
    ["another ENI's primary, even with reassignment", '10.88.60.5', 'secondary-addresses'],
  ])('refuses an address %s with InvalidParameterValue', async (_, ip, message) => {
    expect(await assign(ip, '--allow-reassignment')).toEqual(
      serviceError('InvalidParameterValue', 'AssignPrivateIpAddresses', message),
    );
    expect(ec2.state.addressesOf(ENI)).toEqual(['10.88.60.4']);
    expect(ec2.state.addressesOf(OTHER)).toEqual(['10.88.60.5', '10.88.60.20']);
  });

  it('refuses past the ENI limit with PrivateIpAddressLimitExceeded', async () => {
    ec2.state.eni(ENI).maxPrivateIps = 2;
    expect((await assign(CLIENT)).code).toBe(0);
    expect(await assign('10.88.60.10')).toEqual(
      serviceError(
        'PrivateIpAddressLimitExceeded',
        'AssignPrivateIpAddresses',
        'Number of private addresses will exceed limit.',
      ),
    );
    expect(ec2.state.addressesOf(ENI)).toEqual(['10.88.60.4', CLIENT]);
  });
});

describe('UnassignPrivateIpAddresses', () => {
  it('removes a secondary address and prints nothing', async () => {
    await assign(CLIENT);
    expect(await unassign(CLIENT)).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await listed()).toEqual(['10.88.60.4']);
  });

  it('refuses an address the ENI does not have (already released)', async () => {
    expect(await unassign(CLIENT)).toEqual(
      serviceError(
        'InvalidParameterValue',
        'UnassignPrivateIpAddresses',
        `Some of the specified addresses are not assigned to interface ${ENI}`,
      ),
    );
  });

  it("refuses the ENI's primary address", async () => {
    expect(await unassign('10.88.60.4')).toMatchObject({ code: 254 });
    expect(ec2.state.addressesOf(ENI)).toEqual(['10.88.60.4']);
  });
});

describe('source/destination check', () => {
  it('modify --no-source-dest-check turns it off; both describe calls show it', async () => {
    const r = await aws.run([
      'ec2',
      'modify-network-interface-attribute',
      '--network-interface-id',
      ENI,
      '--no-source-dest-check',
    ]);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    const attribute = await aws.run([
      'ec2',
      'describe-network-interface-attribute',
      '--network-interface-id',
      ENI,
      '--attribute',
      'sourceDestCheck',
      '--output',
      'json',
    ]);
    expect(JSON.parse(attribute.stdout)).toEqual({
      NetworkInterfaceId: ENI,
      SourceDestCheck: { Value: false },
    });
    const query = ['--query', 'NetworkInterfaces[0].SourceDestCheck', '--output', 'text'];
    const described = await aws.run([
      'ec2',
      'describe-network-interfaces',
      '--network-interface-ids',
      ENI,
      ...query,
    ]);
    expect(described.stdout).toBe('False\n');
    expect(ec2.state.eni(OTHER).sourceDestCheck).toBe(true);
  });
});

describe('DescribeNetworkInterfaces', () => {
  it('answers the botocore NetworkInterface shape, attachment included', async () => {
    const r = await aws.run([
      'ec2',
      'describe-network-interfaces',
      '--network-interface-ids',
      ENI,
      '--output',
      'json',
    ]);
    const [eni] = JSON.parse(r.stdout).NetworkInterfaces;
    expect(eni).toMatchObject({
      NetworkInterfaceId: ENI,
      PrivateIpAddress: '10.88.60.4',
      PrivateIpAddresses: [{ PrivateIpAddress: '10.88.60.4', Primary: true }],
      SourceDestCheck: true,
      Status: 'in-use',
      Attachment: { InstanceId: 'i-0123456789abcdef0', Status: 'attached', DeviceIndex: 0 },
    });
  });

  it('finds the ENI holding an address by filter (how an executor tells who holds it)', async () => {
    const r = await aws.run([
      'ec2',
      'describe-network-interfaces',
      '--filters',
      'Name=addresses.private-ip-address,Values=10.88.60.20',
      '--query',
      'NetworkInterfaces[].NetworkInterfaceId',
      '--output',
      'text',
    ]);
    expect(r.stdout).toBe(`${OTHER}\n`);
  });

  it('refuses a filter it does not know, naming it', async () => {
    const r = await aws.run(['ec2', 'describe-network-interfaces', '--filters', 'Name=owner,Values=me']);
    expect(r).toEqual(
      serviceError('InvalidParameterValue', 'DescribeNetworkInterfaces', "The filter 'owner' is invalid"),
    );
  });
});

describe('refusals every action shares', () => {
  it('an ENI that does not exist: InvalidNetworkInterfaceID.NotFound', async () => {
    const r = await aws.run([
      'ec2',
      'describe-network-interfaces',
      '--network-interface-ids',
      'eni-0000000000000dead',
    ]);
    expect(r).toEqual(
      serviceError(
        'InvalidNetworkInterfaceID.NotFound',
        'DescribeNetworkInterfaces',
        "The networkInterface ID 'eni-0000000000000dead' does not exist",
      ),
    );
  });

  it('an action the IAM policy lacks: UnauthorizedOperation (HTTP 403), nothing changed', async () => {
    ec2.state.denied.add('AssignPrivateIpAddresses');
    expect(await assign(CLIENT)).toEqual(
      serviceError(
        'UnauthorizedOperation',
        'AssignPrivateIpAddresses',
        'You are not authorized to perform this operation. Encoded authorization failure message: 3fQm0bkX-fake-encoded-message',
      ),
    );
    expect(ec2.calls.at(-1)?.status).toBe(403);
    expect(ec2.state.addressesOf(ENI)).toEqual(['10.88.60.4']);
  });

  it('an unsigned request: AuthFailure (HTTP 401)', async () => {
    const r = await aws.run(['ec2', 'describe-network-interfaces', '--no-sign-request']);
    expect(r).toEqual(
      serviceError(
        'AuthFailure',
        'DescribeNetworkInterfaces',
        'AWS was not able to validate the provided access credentials',
      ),
    );
    expect(ec2.calls.at(-1)?.status).toBe(401);
  });

  it('throttling: RequestLimitExceeded (HTTP 503) for the next n calls, then success', async () => {
    ec2.throttleNext(1, 'AssignPrivateIpAddresses');
    expect(await listed()).toEqual(['10.88.60.4']); // another action is not throttled
    expect(await assign(CLIENT)).toEqual(
      serviceError('RequestLimitExceeded', 'AssignPrivateIpAddresses', 'Request limit exceeded.'),
    );
    expect(ec2.state.addressesOf(ENI)).toEqual(['10.88.60.4']);
    expect((await assign(CLIENT)).code).toBe(0);
    expect(ec2.calls.map((c) => [c.action, c.status])).toEqual([
      ['DescribeNetworkInterfaces', 200],
      ['AssignPrivateIpAddresses', 503],
      ['AssignPrivateIpAddresses', 200],
    ]);
  });

  it("throttling within the CLI's own attempts: it retries by itself and succeeds", async () => {
    ec2.throttleNext(2);
    const args = [
      'ec2',
      'assign-private-ip-addresses',
      '--network-interface-id',
      ENI,
      '--private-ip-addresses',
      CLIENT,
    ];
    const r = await aws.run(args, { AWS_MAX_ATTEMPTS: '3' });
    expect(r.code, r.stderr).toBe(0);
    expect(ec2.calls.map((c) => c.status)).toEqual([503, 503, 200]);
  }, 180_000);
});
