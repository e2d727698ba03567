// The fixture's own edges, over plain HTTP on loopback: bad options name their field, a request it does
// not model is refused naming what, and the XML is EC2's.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type Ec2Endpoint, startEc2Endpoint } from '../src/index.js';

const ENI = 'eni-0abc1234def567890';
const SIGNED = {
  'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
  authorization:
    'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/ap-northeast-1/ec2/aws4_request, SignedHeaders=host, Signature=00',
};

let ec2: Ec2Endpoint;
beforeEach(async () => {
  ec2 = await startEc2Endpoint({ enis: [{ id: ENI, subnetCidr: '10.88.60.0/24', primaryIp: '10.88.60.4' }] });
});
afterEach(() => ec2.close());

const post = async (form: Record<string, string>, headers: Record<string, string> = SIGNED) => {
  const res = await fetch(ec2.url, { method: 'POST', headers, body: new URLSearchParams(form) });
  return { status: res.status, body: await res.text() };
};
const query = (action: string, fields: Record<string, string> = {}) =>
  post({ Action: action, Version: '2016-11-15', ...fields });

it('answers a success in the 2016-11-15 namespace with a requestId', async () => {
  const r = await query('DescribeNetworkInterfaceAttribute', {
    NetworkInterfaceId: ENI,
    Attribute: 'sourceDestCheck',
  });
  expect(r.status).toBe(200);
  expect(r.body).toMatch(
    /^<\?xml version="1.0" encoding="UTF-8"\?><DescribeNetworkInterfaceAttributeResponse xmlns="http:\/\/ec2\.amazonaws\.com\/doc\/2016-11-15\/"><requestId>[0-9a-f-]{36}<\/requestId><networkInterfaceId>eni-0abc1234def567890<\/networkInterfaceId><sourceDestCheck><value>true<\/value><\/sourceDestCheck><\/DescribeNetworkInterfaceAttributeResponse>$/,
  );
});

it("answers an error as EC2's Response/Errors document, and escapes the message", async () => {
  const r = await query('DescribeNetworkInterfaces', {
    'Filter.1.Name': '<owner>',
    'Filter.1.Value.1': 'me',
  });
  expect(r.status).toBe(400);
  expect(r.body).toMatch(
    /^<\?xml version="1.0" encoding="UTF-8"\?><Response><Errors><Error><Code>InvalidParameterValue<\/Code><Message>The filter &apos;&lt;owner&gt;&apos; is invalid<\/Message><\/Error><\/Errors><RequestID>[0-9a-f-]{36}<\/RequestID><\/Response>$/,
  );
});

it.each([
  ['an unknown action', { Action: 'RunInstances', Version: '2016-11-15' }, 'InvalidAction', 'RunInstances'],
  ['no action', { Version: '2016-11-15' }, 'MissingParameter', 'Action'],
  [
    'another API version',
    { Action: 'DescribeNetworkInterfaces', Version: '2014-10-01' },
    'UnsupportedOperation',
    'Version=2014-10-01',
  ],
  [
    'a parameter it does not model',
    {
      Action: 'AssignPrivateIpAddresses',
      Version: '2016-11-15',
      NetworkInterfaceId: ENI,
      SecondaryPrivateIpAddressCount: '2',
    },
    'UnsupportedOperation',
    'SecondaryPrivateIpAddressCount',
  ],
  [
    'an address that is not one',
    {
      Action: 'AssignPrivateIpAddresses',
      Version: '2016-11-15',
      NetworkInterfaceId: ENI,
      'PrivateIpAddress.1': '10.88.60.x',
    },
    'InvalidParameterValue',
    '10.88.60.x',
  ],
])('refuses %s, naming it', async (_, form, code, named) => {
  const r = await post(form);
  expect(r.status).toBe(400);
  expect(r.body).toContain(`<Code>${code}</Code>`);
  expect(r.body).toContain(named);
  expect(ec2.state.addressesOf(ENI)).toEqual(['10.88.60.4']);
});

it('refuses a request without a SigV4 Authorization header (AuthFailure, 401) before anything else', async () => {
  const r = await post({ Action: 'RunInstances' }, { authorization: 'AWS AKIAIOSFODNN7EXAMPLE:sig' });
  expect([r.status, r.body]).toEqual([401, expect.stringContaining('<Code>AuthFailure</Code>')]);
});

it('goes on answering after bad requests', async () => {
  await post({ Action: 'x'.repeat(70_000) });
  expect((await query('DescribeNetworkInterfaces')).status).toBe(200);
  expect(ec2.calls.map((c) => c.status)).toEqual([400, 200]);
});

it('throttleNext counts down per action and refuses a count that is not a positive integer', async () => {
  ec2.throttleNext(2, 'DescribeNetworkInterfaces');
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await query('DescribeNetworkInterfaces')).status);
  expect(statuses).toEqual([503, 503, 200]);
  expect(() => ec2.throttleNext(0)).toThrow('throttleNext: n must be a positive integer (was 0)');
});

it.each([
  [{ enis: [] }, 'enis must be non-empty'],
  [
    { enis: [{ id: 'eni-1', subnetCidr: '10.0.0.0/24', primaryIp: '10.0.0.9' }] },
    'enis[0].id must be matched by',
  ],
  [
    { enis: [{ id: ENI, subnetCidr: '10.0.0.0/33', primaryIp: '10.0.0.9' }] },
    'enis[0].subnetCidr must be an IPv4 CIDR',
  ],
  [
    { enis: [{ id: ENI, subnetCidr: '10.0.0.0/24', primaryIp: '10.0.0.1' }] },
    'enis[0].primaryIp: 10.0.0.1 cannot be an address in 10.0.0.0/24 (reserved)',
  ],
  [
    { enis: [{ id: ENI, subnetCidr: '10.0.0.0/24', primaryIp: '10.0.0.9', secondaryIps: ['10.0.1.9'] }] },
    'enis[0].secondaryIps[0]: 10.0.1.9 cannot be an address in 10.0.0.0/24 (outsideSubnet)',
  ],
  [
    {
      enis: [
        { id: ENI, subnetCidr: '10.0.0.0/24', primaryIp: '10.0.0.9' },
        { id: 'eni-0fedcba9876543210', subnetCidr: '10.0.0.0/24', primaryIp: '10.0.0.9' },
      ],
    },
    `enis[1].primaryIp: 10.0.0.9 is already an address of ${ENI}`,
  ],
  [
    { enis: [{ id: ENI, subnetCidr: '10.0.0.0/24', primaryIp: '10.0.0.9' }], denied: ['RunInstances'] },
    'denied[0] must be',
  ],
])('refuses bad options naming the field: %j', async (options, message) => {
  await expect(startEc2Endpoint(options as never)).rejects.toThrow(message);
});
