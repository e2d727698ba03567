import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from '../src/protocol/constants.js';

export const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
export const example = (path: string) => fileURLToPath(new URL(`../examples/${path}`, import.meta.url));

/** A zombie (killed, not yet reaped by whoever inherited it) counts as gone. */
export { pidAlive } from '../src/client/survivors.js';

/** Speaks raw lines to a plugin, to test the wire without the host-side code. */
export class RawPeer {
  readonly child: ChildProcessWithoutNullStreams;
  readonly messages: unknown[] = [];
  private waiters: ((m: unknown) => void)[] = [];

  constructor(file: string, args: string[] = []) {
    this.child = spawn(file, args, {
      env: { PATH: process.env.PATH ?? '', [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stderr.resume();
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const msg = JSON.parse(line);
      this.messages.push(msg);
      this.waiters.shift()?.(msg);
    });
  }

  send(text: string): void {
    this.child.stdin.write(text);
  }

  // biome-ignore lint/suspicious/noExplicitAny: wire messages are asserted field by field in the tests
  next(timeoutMs = 5000): Promise<any> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no message')), timeoutMs);
      this.waiters.push((m) => {
        clearTimeout(t);
        resolve(m);
      });
    });
  }

  /** Send `initialize` (id 1) with this config; the answer is the next message. */
  sendInitialize(config: unknown = {}, maxMessageBytes = 8388608): void {
    this.send(
      `${JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: 1,
          host: { name: 't', version: '0' },
          plugin: { name: 'p' },
          grantedCapabilities: ['propose.dynamicConfig'],
          config,
          limits: { maxMessageBytes, maxInFlight: 4, defaultTimeoutMs: 5000 },
        },
      })}\n`,
    );
  }

  async initialize(maxMessageBytes = 8388608): Promise<void> {
    this.sendInitialize({}, maxMessageBytes);
    await this.next();
    this.send('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
  }

  close(): Promise<number | null> {
    this.child.stdin.end();
    return new Promise((r) => {
      if (this.child.exitCode !== null) r(this.child.exitCode);
      else this.child.once('exit', (code) => r(code));
    });
  }
}
