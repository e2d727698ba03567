/**
 * Silent packet drops with nftables inside our own namespaces: a partition the sender can only notice by
 * timing out (a link going down fails fast with ENETUNREACH, a different fault). One table per
 * namespace, flushed to heal; it disappears with the namespace.
 */
import { execFileSync } from 'node:child_process';

const TABLE = 'routerd_reliability';

function nft(ns: string, ...args: string[]): void {
  execFileSync('ip', ['netns', 'exec', ns, 'nft', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

export function nftAvailable(): boolean {
  try {
    execFileSync('nft', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Create the (empty, accepting) table and output chain in `ns`. */
export function nftInit(ns: string): void {
  nft(ns, 'add', 'table', 'inet', TABLE);
  nft(ns, 'add', 'chain', 'inet', TABLE, 'out', '{ type filter hook output priority 0; policy accept; }');
}

/** Drop everything `ns` sends to `address`. */
export function dropTo(ns: string, address: string): void {
  nft(ns, 'add', 'rule', 'inet', TABLE, 'out', 'ip', 'daddr', address, 'drop');
}

/** Remove every drop rule in `ns`. */
export function heal(ns: string): void {
  nft(ns, 'flush', 'chain', 'inet', TABLE, 'out');
}
