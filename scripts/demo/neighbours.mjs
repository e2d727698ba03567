// Where the demo's on-prem observer looks: a real kernel neighbour table in network namespaces the demo
// creates (when it runs as root), or a recorded table it rewrites (otherwise). Either way the client
// 10.88.60.9 can be made to appear and to leave.
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const recorded = (f) => fileURLToPath(new URL(`./recorded/${f}`, import.meta.url));
const ip = (...args) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });

export function recordedTable(dir) {
  copyFileSync(recorded('addr.json'), join(dir, 'addr.json'));
  writeFileSync(join(dir, 'neigh.json'), '[]');
  writeFileSync(join(dir, 'monitor.txt'), '');
  return {
    kind: 'a recorded neighbour table (run as root to use the real kernel table in network namespaces)',
    ipCommand: [recorded('fake-ip.sh'), dir],
    interface: 'br0',
    appear() {
      copyFileSync(recorded('neigh-present.json'), join(dir, 'neigh.json'));
      appendFileSync(join(dir, 'monitor.txt'), '10.88.60.9 dev br0 lladdr 52:54:00:12:34:56 REACHABLE\n');
    },
    leave() {
      copyFileSync(recorded('neigh-absent.json'), join(dir, 'neigh.json'));
      appendFileSync(join(dir, 'monitor.txt'), '10.88.60.9 dev br0  FAILED\n');
    },
    destroy() {},
  };
}

/** Two namespaces joined by a veth pair: the router (10.88.60.1) and a client (10.88.60.9). */
export function kernelTable() {
  const tag = process.pid % 100000;
  const [router, client, vr, vc] = [`rdemo-r${tag}`, `rdemo-c${tag}`, `rdr${tag}`, `rdc${tag}`];
  const destroy = () => {
    for (const ns of [router, client]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  };
  try {
    ip('netns', 'add', router);
    ip('netns', 'add', client);
    ip('link', 'add', vr, 'type', 'veth', 'peer', 'name', vc);
    ip('link', 'set', vr, 'netns', router);
    ip('link', 'set', vc, 'netns', client);
    ip('-n', router, 'addr', 'add', '10.88.60.1/24', 'dev', vr);
    ip('-n', client, 'addr', 'add', '10.88.60.9/24', 'dev', vc);
    for (const [ns, dev] of [
      [router, vr],
      [client, vc],
    ]) {
      ip('-n', ns, 'link', 'set', dev, 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
  } catch (err) {
    destroy();
    throw err;
  }
  // One UDP datagram from the router makes the kernel resolve the client: a real ARP exchange.
  const poke = () =>
    spawnSync('ip', ['netns', 'exec', router, 'bash', '-c', 'echo hi > /dev/udp/10.88.60.9/9'], {
      stdio: 'ignore',
    });
  return {
    kind: `the real kernel neighbour table of network namespace ${router} (veth to a client namespace)`,
    ipCommand: ['ip', '-n', router],
    interface: vr,
    appear: poke,
    leave() {
      // The client is gone: its link goes down and the router forgets it; a new probe fails.
      spawnSync('ip', ['-n', client, 'link', 'set', vc, 'down'], { stdio: 'ignore' });
      spawnSync('ip', ['-n', router, 'neigh', 'flush', 'dev', vr], { stdio: 'ignore' });
      poke();
    },
    destroy,
  };
}

export function neighbourSource(dir, { recordedOnly = false } = {}) {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (root && !recordedOnly) {
    try {
      return kernelTable();
    } catch (err) {
      console.log(
        `  (network namespaces unavailable: ${err.message.split('\n')[0]}; using a recorded table)`,
      );
    }
  }
  return recordedTable(dir);
}
