import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import {
  type Capability,
  DEFAULT_MAX_IN_FLIGHT,
  DEFAULT_MAX_MESSAGE_BYTES,
  ErrorCodes,
  MAGIC_COOKIE_KEY,
  MAGIC_COOKIE_VALUE,
  Methods,
  PROTOCOL_VERSION,
  PublishParams,
  validate,
} from '@routerd/plugin-sdk';
import { groupAlive, killGroup, liveGroupMembers } from './process-group.js';
import { TextTail, type TranscriptEntry } from './transcript.js';

export type JsonObject = Record<string, unknown>;

/** How long, after the plugin exits, its stdout and stderr may take to be read to their end. */
const PIPE_DRAIN_MS = 500;

export interface SessionOptions {
  /** Absolute path; started directly, never through a shell. */
  executable: string;
  args: string[];
  /** Who the session is for (a check id); names its transcript. */
  label: string;
  /** false: start the plugin as if by hand, without the magic cookie. */
  cookie?: boolean;
  granted: readonly Capability[];
  config: JsonObject;
  /** Default timeout of request() in ms. */
  requestTimeoutMs: number;
  /** false: never read stderr, so its pipe fills (the robustness check for a slow host). */
  readStderr?: boolean;
}

export interface ExitStatus {
  code: number | null;
  signal: string | null;
  /** ms since spawn. */
  ms: number;
}

export interface StdoutViolation {
  ms: number;
  reason: string;
  text: string;
}

export type Response = JsonObject & {
  id: unknown;
  result?: unknown;
  error?: { code?: unknown; message?: unknown; data?: unknown };
};

/** Thrown when a request got no answer; checks let it fail them with this message. */
export class NoResponse extends Error {}

const STDERR_TAIL_CHARS = 256 * 1024;

/**
 * One plugin process driven over its raw pipes, the way the suite needs it: exact bytes out (broken
 * lines, CRLF, batches), every byte in recorded and classified (protocol message or stdout violation),
 * stderr kept, requests from the plugin answered like a host would, and the process group observable
 * after exit. Deliberately independent of the SDK's host code, so SDK bugs cannot hide plugin bugs.
 */
export class PluginSession {
  readonly transcript: TranscriptEntry[] = [];
  readonly received: JsonObject[] = [];
  readonly violations: StdoutViolation[] = [];
  readonly stderr = new TextTail(STDERR_TAIL_CHARS);
  /** Method of every request this session sent, by JSON id, so responses can be checked against the right schema. */
  readonly sentRequests = new Map<string, string>();
  readonly pgid: number | undefined;
  spawnError?: Error;
  exit?: ExitStatus;
  /** Set when the runner killed the plugin: a half-written last line is then not the plugin's fault. */
  killedByRunner = false;
  initializedSent = false;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly started = Date.now();
  private readonly exited: Promise<ExitStatus>;
  private waiters: { match: (m: JsonObject) => boolean; resolve: (m: JsonObject) => void }[] = [];
  private exitListeners: (() => void)[] = [];
  private nextId = 1;
  private stdoutBuffer: Buffer[] = [];
  private readonly pipesEnded: Promise<void>;

  constructor(readonly options: SessionOptions) {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      ROUTERD_HOST_PID: String(process.pid),
    };
    if (options.cookie !== false) env[MAGIC_COOKIE_KEY] = MAGIC_COOKIE_VALUE;
    this.child = spawn(options.executable, options.args, {
      shell: false,
      detached: true,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.pgid = this.child.pid;
    this.event('spawn', `${options.executable} ${options.args.join(' ')}`.trim());
    this.exited = new Promise<ExitStatus>((resolve) => {
      this.child.once('error', (err) => {
        this.spawnError = err;
        if (this.child.pid === undefined) resolve(this.recordExit(null, null));
      });
      // 'exit' can come before the last bytes of stdout and stderr are read (they are separate pipes): a
      // check that looks at stderr right after the exit would then see nothing on a busy machine.
      this.child.once('exit', (code, signal) => {
        void this.pipesDrained().then(() => resolve(this.recordExit(code, signal)));
      });
    });
    this.child.stdin.on('error', () => {});
    this.child.stdout.on('data', (chunk: Buffer) => this.onStdout(chunk));
    const ended = (stream: NodeJS.ReadableStream) =>
      new Promise<void>((r) => {
        stream.once('end', r);
        stream.once('close', r);
      });
    this.pipesEnded = Promise.all([ended(this.child.stdout), ended(this.child.stderr)]).then(() => {});
    this.child.stdout.on('end', () => this.onStdoutEnd());
    this.child.stderr.setEncoding('utf8');
    if (options.readStderr !== false) this.child.stderr.on('data', (t: string) => this.stderr.push(t));
  }

  /**
   * Both pipes read to their end — or, after a short wait, not: a process the plugin left behind may hold
   * them open (its own check reports that), and a stderr nobody reads never ends.
   */
  private pipesDrained(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      this.pipesEnded,
      new Promise<void>((r) => {
        timer = setTimeout(r, PIPE_DRAIN_MS);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  get ms(): number {
    return Date.now() - this.started;
  }

  get running(): boolean {
    return this.exit === undefined && this.spawnError === undefined;
  }

  /** Start reading stderr again after a readStderr: false phase. */
  drainStderr(): void {
    this.child.stderr.on('data', (t: string) => this.stderr.push(t));
  }

  private event(event: string, text?: string): void {
    this.transcript.push({
      at: new Date().toISOString(),
      ms: this.ms,
      kind: 'event',
      event,
      ...(text ? { text } : {}),
    });
  }

  private recordExit(code: number | null, signal: string | null): ExitStatus {
    this.exit ??= { code, signal, ms: this.ms };
    this.event('exit', signal ? `signal ${signal}` : `code ${code}`);
    for (const l of this.exitListeners.splice(0)) l();
    return this.exit;
  }

  private onStdout(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl === -1) {
        if (start < chunk.length) this.stdoutBuffer.push(chunk.subarray(start));
        return;
      }
      this.stdoutBuffer.push(chunk.subarray(start, nl));
      const line = Buffer.concat(this.stdoutBuffer);
      this.stdoutBuffer = [];
      this.onLine(line);
      start = nl + 1;
    }
  }

  private onStdoutEnd(): void {
    const rest = Buffer.concat(this.stdoutBuffer);
    this.stdoutBuffer = [];
    if (rest.length > 0 && !this.killedByRunner)
      this.violation('an unterminated last line (no line feed)', rest);
  }

  private violation(reason: string, bytes: Buffer): void {
    const text = bytes.subarray(0, 512).toString('utf8');
    this.violations.push({ ms: this.ms, reason, text });
    this.transcript.push({
      at: new Date().toISOString(),
      ms: this.ms,
      kind: 'stdout-violation',
      text: `${reason}: ${text}`,
    });
  }

  private onLine(bytes: Buffer): void {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      this.violation('a line that is not valid UTF-8', bytes);
      return;
    }
    if (text.endsWith('\r')) text = text.slice(0, -1);
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      this.violation(text.trim() === '' ? 'an empty line' : 'a line that is not JSON', bytes);
      return;
    }
    if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
      this.violation(
        Array.isArray(msg)
          ? 'a JSON array (batches are not part of the protocol)'
          : 'a JSON value that is not an object',
        bytes,
      );
      return;
    }
    const m = msg as JsonObject;
    this.received.push(m);
    this.transcript.push({ at: new Date().toISOString(), ms: this.ms, kind: 'received', message: m });
    if (typeof m.method === 'string' && m.id !== undefined && m.id !== null) this.answerPluginRequest(m);
    for (const w of [...this.waiters]) {
      if (w.match(m)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  }

  /** Answer what a plugin may ask a host, like routerd-eventd would. */
  private answerPluginRequest(m: JsonObject): void {
    const reply = (body: JsonObject) => this.send({ jsonrpc: '2.0', id: m.id, ...body });
    const error = (code: number, message: string, data?: unknown) =>
      reply({ error: data === undefined ? { code, message } : { code, message, data } });
    if (m.method === Methods.ping) reply({ result: {} });
    else if (m.method !== Methods.publish)
      error(ErrorCodes.MethodNotFound, `unknown method ${String(m.method)}`);
    else if (!this.initializedSent)
      error(ErrorCodes.NotInitialized, 'events/publish before notifications/initialized');
    else if (!this.options.granted.includes('observe.events')) {
      error(ErrorCodes.CapabilityNotGranted, 'observe.events was not granted', {
        capability: 'observe.events',
      });
    } else {
      const v = validate(PublishParams, m.params ?? {});
      if (!v.ok) error(ErrorCodes.InvalidParams, 'invalid events/publish params', { issues: v.issues });
      else
        reply({
          result: {
            accepted: v.value.events.map((e, i) => e.id ?? `conformance-${this.ms}-${i}`),
            duplicates: [],
            rejected: [],
          },
        });
    }
  }

  /** Write raw text (the suite sends broken lines on purpose). */
  sendRaw(text: string): void {
    let message: unknown;
    for (const line of text.split('\n').filter((l) => l.trim())) {
      try {
        message = JSON.parse(line);
        this.transcript.push({ at: new Date().toISOString(), ms: this.ms, kind: 'sent', message });
      } catch {
        this.transcript.push({
          at: new Date().toISOString(),
          ms: this.ms,
          kind: 'sent',
          text: line.slice(0, 2048),
        });
      }
    }
    if (!this.child.stdin.destroyed && !this.child.stdin.writableEnded) this.child.stdin.write(text);
  }

  send(message: JsonObject, lineEnding = '\n'): void {
    this.sendRaw(`${JSON.stringify(message)}${lineEnding}`);
  }

  allocateId(): string {
    return `h:${this.nextId++}`;
  }

  /** The text of a request line; lets a check put several messages into one write. */
  requestLine(
    method: string,
    params: unknown,
    id: unknown = this.allocateId(),
  ): { id: unknown; line: string } {
    this.sentRequests.set(JSON.stringify(id), method);
    const msg =
      params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params };
    return { id, line: `${JSON.stringify(msg)}\n` };
  }

  notify(method: string, params?: unknown): void {
    this.send(params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params });
    if (method === Methods.initialized) this.initializedSent = true;
  }

  /** Send a request and wait for its response (matched by id, type included: 0 is not "0"). */
  async request(
    method: string,
    params?: unknown,
    opts: { id?: unknown; timeoutMs?: number; lineEnding?: string } = {},
  ): Promise<Response> {
    const { id, line } = this.requestLine(method, params, opts.id ?? this.allocateId());
    const answer = this.response(id, opts.timeoutMs ?? this.options.requestTimeoutMs, method);
    this.sendRaw(opts.lineEnding ? `${line.slice(0, -1)}${opts.lineEnding}` : line);
    return answer;
  }

  /** Wait for the response to a request id sent earlier. */
  response(id: unknown, timeoutMs: number, what = 'the request'): Promise<Response> {
    const key = JSON.stringify(id);
    return this.waitFor((m) => isResponse(m) && JSON.stringify(m.id) === key, timeoutMs).then((m) => {
      if (!m) throw new NoResponse(`no answer to ${what} (id ${key}) ${this.whyNoAnswer(timeoutMs)}`);
      return m as Response;
    });
  }

  /** " — the plugin exited (…); stderr: …" once it has exited, else "". */
  exitNote(): string {
    if (!this.exit) return '';
    const how = this.exit.signal ? `killed by ${this.exit.signal}` : `exit code ${this.exit.code}`;
    return ` — the plugin exited (${how})${this.stderrHint()}`;
  }

  private whyNoAnswer(timeoutMs: number): string {
    if (this.exit) {
      const how = this.exit.signal ? `killed by ${this.exit.signal}` : `exit code ${this.exit.code}`;
      return `— the plugin exited (${how})${this.stderrHint()}`;
    }
    return `within ${timeoutMs} ms`;
  }

  private stderrHint(): string {
    const tail = this.stderr.toString().trim().split('\n').slice(-3).join(' | ');
    return tail ? `; stderr: ${tail.slice(-300)}` : '';
  }

  /** The first message (already received or arriving within the timeout) that matches; undefined on timeout or exit. */
  waitFor(match: (m: JsonObject) => boolean, timeoutMs: number, since = 0): Promise<JsonObject | undefined> {
    const seen = this.received.slice(since).find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => {
      const waiter = {
        match,
        resolve: (m: JsonObject | undefined) => {
          clearTimeout(timer);
          this.exitListeners = this.exitListeners.filter((l) => l !== onExit);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve(undefined);
      }, timeoutMs);
      // The exit is recorded only once stdout was read to its end: nothing more can arrive.
      const onExit = () => {
        if (this.waiters.includes(waiter)) {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          waiter.resolve(undefined);
        }
      };
      this.waiters.push(waiter);
      if (this.exit || this.spawnError) onExit();
      else this.exitListeners.push(onExit);
    });
  }

  /** Sleep, for checks that must watch for something that should not happen. */
  quiet(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
  }

  /** initialize with the session's grant and config; overrides replace params. Returns the raw response and its latency. */
  async initialize(
    overrides: JsonObject = {},
    timeoutMs?: number,
  ): Promise<{ response: Response; ms: number }> {
    const response = await this.request(Methods.initialize, this.initializeParams(overrides), { timeoutMs });
    return { response, ms: this.ms };
  }

  /** The params of the initialize this session sends: its grant and config, then `overrides`. */
  initializeParams(overrides: JsonObject = {}): JsonObject {
    return {
      protocolVersion: PROTOCOL_VERSION,
      supportedProtocolVersions: [PROTOCOL_VERSION],
      host: { name: 'routerd-plugin-test', version: '0.1.0' },
      plugin: { name: 'conformance-test' },
      grantedCapabilities: [...this.options.granted],
      config: this.options.config,
      limits: {
        maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
        maxInFlight: DEFAULT_MAX_IN_FLIGHT,
        defaultTimeoutMs: this.options.requestTimeoutMs,
      },
      ...overrides,
    };
  }

  closeStdin(): void {
    this.event('stdin-closed');
    this.child.stdin.end();
  }

  /** The exit status, or undefined if the plugin is still running after `timeoutMs`. */
  async waitExit(timeoutMs: number): Promise<ExitStatus | undefined> {
    if (this.exit) return this.exit;
    let timer: NodeJS.Timeout | undefined;
    const status = await Promise.race([
      this.exited,
      new Promise<undefined>((r) => {
        timer = setTimeout(() => r(undefined), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return status;
  }

  /** Signal only the plugin's own process (not its group), to end it without hiding processes it left. */
  signalPlugin(signal: NodeJS.Signals): void {
    this.event('signal', signal);
    try {
      this.child.kill(signal);
    } catch {
      // gone
    }
  }

  /** Live processes left in the plugin's process group (zombies excluded). */
  groupMembers(): string[] {
    return this.pgid === undefined ? [] : liveGroupMembers(this.pgid);
  }

  /** SIGKILL the whole group and wait for the plugin: nothing of a session outlives its check. */
  async dispose(): Promise<void> {
    if (this.pgid !== undefined && (this.running || groupAlive(this.pgid))) {
      if (this.running) this.killedByRunner = true;
      this.event('killed');
      // SIGKILL cannot be refused; waiting for the group to vanish would wait for zombies to be reaped.
      killGroup(this.pgid, 'SIGKILL');
      await this.waitExit(2000);
    }
    this.child.stdin.destroy();
    this.child.stdout.destroy();
    this.child.stderr.destroy();
  }
}

export function isResponse(m: JsonObject): boolean {
  return m.method === undefined && ('result' in m || 'error' in m);
}

export function errorCode(r: Response): number | undefined {
  return typeof r.error?.code === 'number' ? r.error.code : undefined;
}

/** A one-line description of a response for failure messages. */
export function describe(r: Response): string {
  if (r.error) return `error ${String(r.error.code)} "${String(r.error.message ?? '').slice(0, 200)}"`;
  return `result ${JSON.stringify(r.result)?.slice(0, 200)}`;
}
