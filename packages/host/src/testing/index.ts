/**
 * Run the real, built routerd-eventd as a child process on a temporary state directory. Used by this
 * package's tests, by @routerd/cli's and by the system tests (tests/e2e), so all drive the same binary
 * the same way.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SOCKET_FILE } from '@routerd/host-wire/constants';

export { freePort } from './free-port.js';

/** The built daemon: dist/testing.js sits beside dist/bin/; from src/testing/ (tests importing the source) it is ../../dist/bin/. */
export const DAEMON_BIN = fileURLToPath(
  new URL(
    import.meta.url.includes('/src/testing/')
      ? '../../dist/bin/routerd-eventd.js'
      : './bin/routerd-eventd.js',
    import.meta.url,
  ),
);

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export function tempDir(prefix = 'routerd-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface GroupConfigOptions {
  group?: string;
  nodeName?: string;
  captured?: string[];
}

/** A minimal valid config: one EventGroup. */
export function groupConfig({
  group = 'lab',
  nodeName = 'onprem-1',
  captured = [],
}: GroupConfigOptions = {}): string {
  const capturedYaml = captured.length
    ? `\n  captured:\n${captured.map((c) => `    - ${c}`).join('\n')}`
    : '';
  return `apiVersion: federation.routerd.net/v1alpha1
kind: EventGroup
metadata:
  name: ${group}
spec:
  nodeName: ${nodeName}${capturedYaml}
`;
}

/** One request to the control API over its unix socket; the body is parsed as JSON. */
export function controlRequest(
  socketPath: string,
  method: string,
  path: string,
  body?: unknown,
  // biome-ignore lint/suspicious/noExplicitAny: tests assert on the JSON shape directly
): Promise<{ status: number; body: any }> {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        // A fresh connection per request: a kept-alive socket the daemon closed after its keep-alive
        // timeout (while the test sat in a spawnSync) would fail the next write with EPIPE.
        agent: false,
        socketPath,
        method,
        path,
        headers: payload === undefined ? {} : { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export function writeFile(dir: string, name: string, content: string): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

export interface TestDaemonOptions {
  configFiles: string[];
  stateDir?: string;
  extraArgs?: string[];
  /** A command the daemon runs under, e.g. ['ip', 'netns', 'exec', 'ns1'] to put it in a network namespace. */
  prefix?: string[];
  /** How long to wait for "routerd-eventd ready". */
  readyTimeoutMs?: number;
}

export class TestDaemon {
  readonly logs: LogLine[] = [];
  private stderrText = '';
  private exit: Promise<number | null>;
  /** Exited, and its stderr read to the end. */
  private finished = false;

  private constructor(
    readonly child: ChildProcess,
    readonly stateDir: string,
    readonly options: TestDaemonOptions,
  ) {
    let buffered = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderrText += chunk;
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          // not a log line (e.g. a crash trace); kept in stderrText
        }
      }
    });
    // 'exit' can come before the daemon's last stderr lines are read (its refusal to start, say): the
    // exit is reported once stderr has ended, or after a second if something still holds it open.
    const stderrEnded = new Promise<void>((r) => child.stderr!.once('close', r));
    this.exit = new Promise((resolve) =>
      child.once('exit', (code) => {
        const giveUp = new Promise<void>((r) => setTimeout(r, 1000).unref());
        void Promise.race([stderrEnded, giveUp]).then(() => {
          this.finished = true;
          resolve(code);
        });
      }),
    );
  }

  static async start(options: TestDaemonOptions): Promise<TestDaemon> {
    const stateDir = options.stateDir ?? tempDir();
    const args = [
      DAEMON_BIN,
      ...options.configFiles.flatMap((f) => ['--config', f]),
      '--state-dir',
      stateDir,
    ];
    const [cmd, ...cmdArgs] = [...(options.prefix ?? []), process.execPath];
    const child = spawn(cmd!, [...cmdArgs, ...args, ...(options.extraArgs ?? [])], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const daemon = new TestDaemon(child, stateDir, options);
    await daemon.waitForLog((l) => l.msg === 'routerd-eventd ready', options.readyTimeoutMs ?? 30_000);
    return daemon;
  }

  get socketPath(): string {
    return join(this.stateDir, SOCKET_FILE);
  }

  get stderr(): string {
    return this.stderrText;
  }

  /** Resolves with the first log line matching, or rejects if the daemon exits or time runs out. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const poll = () => {
        const hit = this.logs.find(match);
        if (hit) return resolve(hit);
        if (this.finished) {
          return reject(
            new Error(
              `routerd-eventd exited (${this.child.exitCode ?? this.child.signalCode}):\n${this.stderrText}`,
            ),
          );
        }
        if (Date.now() - started > timeoutMs)
          return reject(new Error(`no matching log line in ${timeoutMs}ms:\n${this.stderrText}`));
        setTimeout(poll, 20);
      };
      poll();
    });
  }

  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }

  /** SIGTERM and wait for the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exit;
  }

  /** Stop, then start again on the same state directory and config. */
  async restart(): Promise<TestDaemon> {
    await this.stop();
    return TestDaemon.start({ ...this.options, stateDir: this.stateDir });
  }

  exited(): Promise<number | null> {
    return this.exit;
  }
}
