/**
 * Two network namespaces joined by a veth pair: test hosts of our own, so a partition can be a real
 * link going down. Only addresses inside these namespaces are used (10.231.x.0/24).
 */
import { execFileSync } from 'node:child_process';

export interface NetnsPair {
  a: { ns: string; address: string; exec: string[] };
  b: { ns: string; address: string; exec: string[] };
  partition(): void;
  heal(): void;
  destroy(): void;
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });

export function createNetnsPair(tag: string, subnet = 231): NetnsPair {
  const id = `${tag}${process.pid % 10000}`;
  const [nsA, nsB, vethA, vethB] = [`rdf-${id}-a`, `rdf-${id}-b`, `rv${id}a`, `rv${id}b`];
  const third = process.pid % 250;
  const [addrA, addrB] = [`10.${subnet}.${third}.1`, `10.${subnet}.${third}.2`];
  try {
    ip('netns', 'add', nsA);
    ip('netns', 'add', nsB);
    ip('link', 'add', vethA, 'type', 'veth', 'peer', 'name', vethB);
    ip('link', 'set', vethA, 'netns', nsA);
    ip('link', 'set', vethB, 'netns', nsB);
    ip('-n', nsA, 'addr', 'add', `${addrA}/24`, 'dev', vethA);
    ip('-n', nsB, 'addr', 'add', `${addrB}/24`, 'dev', vethB);
    for (const [ns, dev] of [
      [nsA, vethA],
      [nsB, vethB],
    ] as const) {
      ip('-n', ns, 'link', 'set', dev, 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
  } catch (err) {
    for (const ns of [nsA, nsB]) {
      try {
        ip('netns', 'del', ns);
      } catch {}
    }
    throw new Error(
      `cannot create network namespaces (these tests need root and iproute2): ${(err as Error).message}`,
    );
  }
  return {
    a: { ns: nsA, address: addrA, exec: ['ip', 'netns', 'exec', nsA] },
    b: { ns: nsB, address: addrB, exec: ['ip', 'netns', 'exec', nsB] },
    partition: () => ip('-n', nsA, 'link', 'set', vethA, 'down'),
    heal: () => ip('-n', nsA, 'link', 'set', vethA, 'up'),
    destroy: () => {
      for (const ns of [nsA, nsB]) {
        try {
          ip('netns', 'del', ns);
        } catch {}
      }
    },
  };
}
