import { setTimeout as sleep } from 'node:timers/promises';
import {
  type LoopbackServer,
  type MetadataMode,
  SLOW_ANSWER_MS,
  startLoopbackServer,
} from '@routerd/plugin-sdk/testing';
import { RESOURCE_GROUP, SUBSCRIPTION } from './config.js';

/** A trimmed real answer: two NICs; the router NIC also carries an address captured earlier (10.88.60.20). */
export const INSTANCE = {
  compute: {
    location: 'japaneast',
    name: 'router-vm',
    resourceGroupName: RESOURCE_GROUP,
    subscriptionId: SUBSCRIPTION,
    vmId: 'f1e2',
  },
  network: {
    interface: [
      {
        macAddress: '000D3A328570',
        ipv4: {
          ipAddress: [
            { privateIpAddress: '10.88.60.4', publicIpAddress: '' },
            { privateIpAddress: '10.88.60.20', publicIpAddress: '' },
          ],
          subnet: [{ address: '10.88.60.0', prefix: '24' }],
        },
        ipv6: { ipAddress: [] },
      },
      {
        macAddress: '000D3A328571',
        ipv4: {
          ipAddress: [{ privateIpAddress: '10.88.61.4', publicIpAddress: '' }],
          subnet: [{ address: '10.88.61.0', prefix: '24' }],
        },
        ipv6: { ipAddress: [] },
      },
    ],
  },
};

/** Azure IMDS on 127.0.0.1: answers only with `Metadata: true` and an api-version, like the real one (400 otherwise). */
export function startFakeImds(mode: MetadataMode): Promise<LoopbackServer> {
  return startLoopbackServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://imds');
    if (req.headers.metadata !== 'true' || !url.searchParams.get('api-version')) {
      return void res.writeHead(400).end('{"error":"Bad request. Required metadata header not specified"}');
    }
    if (url.pathname !== '/metadata/instance') return void res.writeHead(404).end();
    if (mode === 'slow') await sleep(SLOW_ANSWER_MS);
    if (mode === 'unauthorized') return void res.writeHead(401).end();
    if (mode === 'forbidden') return void res.writeHead(403).end();
    // Valid JSON, wrong shape: the interface list is missing.
    if (mode === 'malformed')
      return void res.writeHead(200).end(JSON.stringify({ compute: INSTANCE.compute, network: {} }));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(INSTANCE));
  });
}
