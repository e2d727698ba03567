import { setTimeout as sleep } from 'node:timers/promises';
import {
  type LoopbackServer,
  type MetadataMode,
  SLOW_ANSWER_MS,
  startLoopbackServer,
} from '@routerd/plugin-sdk/testing';
import { COMPARTMENT, VNIC } from './config.js';

const INSTANCE = {
  id: 'ocid1.instance.oc1.ap-tokyo-1.anxhiljrrouter',
  compartmentId: COMPARTMENT,
  region: 'nrt',
  canonicalRegionName: 'ap-tokyo-1',
  shape: 'VM.Standard.E4.Flex',
};
const VNICS = [
  {
    vnicId: VNIC,
    privateIp: '10.88.60.4',
    macAddr: '02:00:17:00:12:34',
    subnetCidrBlock: '10.88.60.0/24',
    virtualRouterIp: '10.88.60.1',
    vlanTag: 0,
  },
  {
    vnicId: 'ocid1.vnic.oc1.ap-tokyo-1.abxhiljrsecond',
    privateIp: '10.88.62.4',
    macAddr: '02:00:17:00:56:78',
    subnetCidrBlock: '10.88.62.0/24',
    virtualRouterIp: '10.88.62.1',
    vlanTag: 0,
  },
];

/** OCI IMDS v2 on 127.0.0.1: without `Authorization: Bearer Oracle` it answers 401, as the real one does. */
export function startFakeImds(mode: MetadataMode): Promise<LoopbackServer> {
  return startLoopbackServer(async (req, res) => {
    if (req.headers.authorization !== 'Bearer Oracle' || mode === 'unauthorized')
      return void res.writeHead(401).end();
    if (mode === 'forbidden') return void res.writeHead(403).end();
    if (mode === 'slow') await sleep(SLOW_ANSWER_MS);
    const json = (body: unknown) =>
      void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.url === '/opc/v2/instance/') return json(INSTANCE);
    // A VNIC list cut off mid-answer.
    if (req.url === '/opc/v2/vnics/')
      return mode === 'malformed' ? void res.writeHead(200).end('[{"vnicId": "ocid1.vn') : json(VNICS);
    res.writeHead(404).end();
  });
}
