// deploy/nftables/routerd.nft, loaded for real in a network namespace of our own: a router with two
// links, `wg0` (the overlay) and `lan0`, a listener on TCP 9443, and a client namespace on the far end
// of both. Through wg0 it connects; through lan0 it does not. Only these namespaces' addresses are used.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const RULES = fileURLToPath(new URL('../../../deploy/nftables/routerd.nft', import.meta.url));
const id = `fw${process.pid % 10000}`;
const [router, client] = [`rdf-${id}-r`, `rdf-${id}-c`];
const third = process.pid % 250;
const overlay = { router: `10.232.${third}.1`, client: `10.232.${third}.2` };
const lan = { router: `10.233.${third}.1`, client: `10.233.${third}.2` };
const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
let listener: ChildProcess | undefined;

/** A veth pair from the client namespace to the router, named `name` on the router's side. */
function link(name: string, addresses: { router: string; client: string }) {
  const [r, c] = [`${id}${name}r`, `${id}${name}c`];
  ip('link', 'add', r, 'type', 'veth', 'peer', 'name', c);
  ip('link', 'set', r, 'netns', router);
  ip('link', 'set', c, 'netns', client);
  ip('-n', router, 'link', 'set', r, 'name', name);
  ip('-n', router, 'addr', 'add', `${addresses.router}/24`, 'dev', name);
  ip('-n', client, 'addr', 'add', `${addresses.client}/24`, 'dev', c);
  ip('-n', router, 'link', 'set', name, 'up');
  ip('-n', client, 'link', 'set', c, 'up');
}

beforeAll(async () => {
  ip('netns', 'add', router);
  ip('netns', 'add', client);
  link('wg0', overlay);
  link('lan0', lan);
  execFileSync('ip', ['netns', 'exec', router, 'nft', '-f', RULES]);
  // Loading it twice is how an operator re-applies it: the file replaces its own table.
  execFileSync('ip', ['netns', 'exec', router, 'nft', '-f', RULES]);
  listener = spawn(
    'ip',
    [
      'netns',
      'exec',
      router,
      process.execPath,
      '-e',
      "require('net').createServer((s) => s.end('routerd')).listen(9443, '0.0.0.0', () => console.log('listening'))",
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve) => listener!.stdout!.once('data', () => resolve()));
});

afterAll(() => {
  listener?.kill('SIGKILL');
  for (const ns of [router, client]) {
    try {
      ip('netns', 'del', ns);
    } catch {}
  }
});

/** From the client namespace: 'connected' or 'no answer' (a dropped SYN is never answered). */
function connectFromClient(address: string): string {
  return execFileSync(
    'ip',
    [
      'netns',
      'exec',
      client,
      process.execPath,
      '-e',
      `const s = require('net').connect(9443, '${address}');
       s.setTimeout(1500, () => { console.log('no answer'); process.exit(0); });
       s.on('data', () => { console.log('connected'); process.exit(0); });
       s.on('error', (e) => { console.log(e.code); process.exit(0); });`,
    ],
    { encoding: 'utf8' },
  ).trim();
}

describe('deploy/nftables/routerd.nft', () => {
  it('TCP 9443 is accepted on the overlay (wg0) and dropped on any other interface', () => {
    expect(connectFromClient(overlay.router)).toBe('connected');
    expect(connectFromClient(lan.router)).toBe('no answer');
    const rules = execFileSync('ip', ['netns', 'exec', router, 'nft', 'list', 'table', 'inet', 'routerd'], {
      encoding: 'utf8',
    });
    expect(rules).toMatch(/tcp dport 9443 counter packets [1-9]\d* bytes \d+ drop/);
  });
});
