import { setTimeout as sleep } from 'node:timers/promises';
import {
  type LoopbackServer,
  type MetadataMode,
  SLOW_ANSWER_MS,
  startLoopbackServer,
} from '@routerd/plugin-sdk/testing';
import { ENI, REGION } from './config.js';

export const MAC = '0e:1f:2a:3b:4c:5d';
const TOKEN = 'AQAEAFake-token==';

/** Answers of a healthy IMDS, by path (the ENI also holds an address captured earlier: 10.88.60.20). */
const META: Record<string, string> = {
  '/latest/meta-data/mac': MAC,
  [`/latest/meta-data/network/interfaces/macs/${MAC}/interface-id`]: ENI,
  [`/latest/meta-data/network/interfaces/macs/${MAC}/subnet-ipv4-cidr-block`]: '10.88.60.0/24',
  [`/latest/meta-data/network/interfaces/macs/${MAC}/subnet-id`]: 'subnet-0123456789abcdef0',
  [`/latest/meta-data/network/interfaces/macs/${MAC}/local-ipv4s`]: '10.88.60.4\n10.88.60.20',
  '/latest/meta-data/placement/region': REGION,
};

/**
 * An IMDSv2 on 127.0.0.1: PUT /latest/api/token needs the TTL header, every GET needs the token
 * (401 otherwise, like the real service). `mode` makes the token request misbehave.
 */
export function startFakeImds(mode: MetadataMode): Promise<LoopbackServer> {
  return startLoopbackServer(async (req, res) => {
    if (req.method === 'PUT' && req.url === '/latest/api/token') {
      if (mode === 'slow') await sleep(SLOW_ANSWER_MS);
      if (mode === 'unauthorized' || !req.headers['x-aws-ec2-metadata-token-ttl-seconds'])
        return void res.writeHead(401).end();
      if (mode === 'forbidden') return void res.writeHead(403).end();
      return void res.writeHead(200).end(TOKEN);
    }
    if (req.headers['x-aws-ec2-metadata-token'] !== TOKEN) return void res.writeHead(401).end();
    const body = META[req.url ?? ''];
    if (body === undefined) return void res.writeHead(404).end();
    // A captive portal or proxy answering in place of IMDS: 200 with HTML.
    if (mode === 'malformed' && req.url?.endsWith('/interface-id'))
      return void res.writeHead(200).end('<html>hello</html>');
    res.writeHead(200).end(body);
  });
}
