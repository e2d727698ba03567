// Small helpers both demos share: a free loopback port, and polling until something is true.
import { createServer } from 'node:net';

export const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `step` every 100 ms until it returns true; throws naming `what` after `timeoutMs`. */
export async function until(what, timeoutMs, step) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await step()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}
