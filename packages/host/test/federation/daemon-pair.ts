// Two real daemons federating over loopback, as the daemon-level federation tests start them: one shared
// HMAC key file, and each node's EventGroup + EventPeer documents (ports: freePort, src/testing/free-port.ts).
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSecret } from '../../src/federation/secrets.js';

/** A shared key file (0600) in `root`. */
export function pairKey(root: string): string {
  const key = join(root, 'edge.key');
  writeFileSync(key, `${generateSecret()}\n`, { mode: 0o600 });
  chmodSync(key, 0o600);
  return key;
}

/** One node of the pair (group `edge`, HMAC): TestDaemon options. `listen` adds fields to spec.listen. */
export function pairNode(
  root: string,
  node: { name: string; port: number; peer: string; peerPort: number; key: string; listen?: string },
) {
  const file = join(root, `${node.name}.yaml`);
  writeFileSync(
    file,
    `apiVersion: federation.routerd.net/v1alpha1
kind: EventGroup
metadata: { name: edge }
spec:
  nodeName: ${node.name}
  listen: { address: 127.0.0.1, port: ${node.port}${node.listen ? `, ${node.listen}` : ''} }
  auth: { mode: hmac, secretFile: ${node.key} }
---
apiVersion: federation.routerd.net/v1alpha1
kind: EventPeer
metadata: { name: ${node.peer} }
spec: { groupRef: edge, nodeName: ${node.peer}, endpoint: "http://127.0.0.1:${node.peerPort}" }
`,
  );
  return { configFiles: [file], stateDir: join(root, `${node.name}-state`) };
}
