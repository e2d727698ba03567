import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * A TCP port for a test's daemon to listen on. Handed out from a block below the kernel's ephemeral range,
 * one block per vitest worker, so no other test file running meanwhile is handed it, and the kernel never
 * gives it to a listen(0) or an outgoing connection. A port from listen(0) was not enough: while a test
 * restarted its daemon, a test file in the other worker was handed the same port, and the first test's
 * sender reached the other file's daemon (401); and a port found free by listen(0) was taken before the
 * test listened on it (EADDRINUSE).
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const block = portBlock();
  for (let tries = 0; tries < PORT_BLOCK; tries++) {
    const port = block.start + (block.next++ % PORT_BLOCK);
    if (await canListen(port, host)) return port;
  }
  throw new Error(`no free port in ${block.start}-${block.start + PORT_BLOCK - 1}`);
}

const PORT_BLOCK = 1000;
let block: { start: number; next: number } | undefined;

/** This worker's block, worked out on first use (importing the module reads nothing). */
function portBlock(): { start: number; next: number } {
  if (block) return block;
  // Linux's default is 32768-60999; the blocks go down from its start.
  const range = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
  const worker = Number(process.env.VITEST_POOL_ID ?? 1);
  const start = Number(range[0]) - worker * PORT_BLOCK;
  if (!(start > 1024))
    throw new Error(`the ephemeral port range (${range.join('-')}) leaves no block below it`);
  // A test file starts where the one before it in this worker left off, give or take: daemons it stopped
  // may still be closing.
  block = { start, next: Math.floor(Math.random() * PORT_BLOCK) };
  return block;
}

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}
