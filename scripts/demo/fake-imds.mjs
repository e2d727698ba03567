// An AWS IMDSv2 on 127.0.0.1 for the demo: the token dance and the few facts the AWS plugin reads.
import { createServer } from 'node:http';

const MAC = '0e:1f:2a:3b:4c:5d';
const TOKEN = 'demo-imds-token';
const META = {
  '/latest/meta-data/mac': MAC,
  [`/latest/meta-data/network/interfaces/macs/${MAC}/interface-id`]: 'eni-0de0123456789abcd',
  [`/latest/meta-data/network/interfaces/macs/${MAC}/subnet-ipv4-cidr-block`]: '10.88.60.0/24',
  [`/latest/meta-data/network/interfaces/macs/${MAC}/subnet-id`]: 'subnet-0de0123456789abcd',
  [`/latest/meta-data/network/interfaces/macs/${MAC}/local-ipv4s`]: '10.88.60.4',
  '/latest/meta-data/placement/region': 'ap-northeast-1',
};

export function startFakeImds() {
  const server = createServer((req, res) => {
    if (req.method === 'PUT' && req.url === '/latest/api/token') {
      if (!req.headers['x-aws-ec2-metadata-token-ttl-seconds']) return void res.writeHead(401).end();
      return void res.writeHead(200).end(TOKEN);
    }
    if (req.headers['x-aws-ec2-metadata-token'] !== TOKEN) return void res.writeHead(401).end();
    const body = META[req.url ?? ''];
    res.writeHead(body === undefined ? 404 : 200).end(body ?? '');
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() }),
    ),
  );
}
