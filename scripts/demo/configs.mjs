// The two nodes' resources for the demo: the on-prem router with the ARP observer, the cloud router with
// the AWS plugin. Clocks are compressed (seconds, not minutes) so hysteresis shows in one sitting.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = (p) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
export const OBSERVER = repo('packages/plugins-arp-observer/dist/main.js');
export const AWS = repo('packages/plugins-aws/dist/main.js');
export const GRACE_S = 12;

const group = (name, port, key, statusPort) => `apiVersion: federation.routerd.net/v1alpha1
kind: EventGroup
metadata: { name: edge }
spec:
  nodeName: ${name}
  listen: { address: 127.0.0.1, port: ${port} }
  auth: { mode: hmac, secretFile: ${key} }
${statusPort ? `  statusPage: { address: 127.0.0.1, port: ${statusPort} }\n` : ''}`;
const peer = (name, port) => `apiVersion: federation.routerd.net/v1alpha1
kind: EventPeer
metadata: { name: ${name} }
spec:
  groupRef: edge
  nodeName: ${name}
  endpoint: http://127.0.0.1:${port}
  retry: { baseDelay: 200ms, maxDelay: 2s }
`;

function write(root, name, docs) {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'routerd.yaml');
  writeFileSync(file, docs.join('---\n'));
  return { configFiles: [file], stateDir: join(dir, 'state') };
}

export function onpremConfig(root, { port, cloudPort, key, neighbours, statusPort }) {
  return write(root, 'onprem', [
    group('onprem', port, key, statusPort),
    peer('cloud', cloudPort),
    `apiVersion: plugin.routerd.net/v1alpha1
kind: Plugin
metadata: { name: arp-observer }
spec:
  executable: ${OBSERVER}
  lifecycle: longLived
  capabilities: [observe.events]
  config:
    domains: [{ name: lan, cidrs: [10.88.60.0/24], interfaces: [${neighbours.interface}] }]
    ownerSide: onprem
    ttl: 4s
    absentAfter: 2s
    resyncEvery: 1s
    sources: { neighbours: true }
    ipCommand: ${JSON.stringify(neighbours.ipCommand)}
`,
  ]);
}

export function cloudConfig(root, { port, onpremPort, key, imdsUrl }) {
  return write(root, 'cloud', [
    group('cloud', port, key),
    peer('onprem', onpremPort),
    `apiVersion: plugin.routerd.net/v1alpha1
kind: Plugin
metadata: { name: aws-claims }
spec:
  executable: ${AWS}
  lifecycle: longLived
  capabilities: [propose.dynamicConfig, propose.providerAction]
  config: { metadataUrl: '${imdsUrl}', teardownGrace: ${GRACE_S}s }
`,
    `apiVersion: federation.routerd.net/v1alpha1
kind: EventSubscription
metadata: { name: onprem-clients }
spec:
  groupRef: edge
  match: { types: ['routerd.client.ipv4.*'], sourceNodes: [onprem] }
  trigger: { pluginRef: aws-claims, batchWindow: 0s, debounce: 0s }
  teardown: { grace: ${GRACE_S}s, observationTTL: 4s }
`,
  ]);
}
