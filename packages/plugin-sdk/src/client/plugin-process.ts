import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { isAbsolute } from 'node:path';
import {
  CANCEL_GRACE_MS,
  EXIT_AFTER_EOF_MS,
  HANDSHAKE_TIMEOUT_MS,
  MAGIC_COOKIE_KEY,
  MAGIC_COOKIE_VALUE,
} from '../protocol/constants.js';
import type { InitializeResult, PluginRequest, PluginResult } from '../protocol/schemas/messages.js';
import { PluginCgroup } from './cgroup.js';
import { PluginError } from './errors.js';
import { HostSession, type RunOptions, type SessionOptions } from './host-session.js';
import { groupAlive, signalGroup, waitGroupGone } from './process-group.js';
import { LogLineSplitter, parseLogLine, TailBuffer } from './stderr-tail.js';
import { findPluginProcesses, INSTANCE_ENV, type LeftBehind, pidAlive } from './survivors.js';

export interface PluginProcessOptions extends SessionOptions {
  /** Absolute path of the plugin executable; it is run directly, never through a shell. */
  executable: string;
  args?: string[];
  /** Extra variables; the child gets PATH, these, and the magic cookie — nothing else of the host's. */
  env?: Record<string, string>;
  /** Names of host variables to pass through unchanged (e.g. HOME for a CLI that needs it). */
  inheritEnv?: string[];
  cwd?: string;
  handshakeTimeoutMs?: number;
  cancelGraceMs?: number;
  /**
   * A log line the plugin wrote on stderr (JSON lines are parsed; other lines come as debug). Lines are
   * cut to MAX_LOG_LINE_BYTES with a marker; rate limits are the caller's (it knows its clock).
   */
  onLog?: (entry: { level: string; msg: string; fields: Record<string, unknown> }) => void;
  /** Called once when the process is gone. */
  onExit?: (info: ExitInfo) => void;
  stderrTailBytes?: number;
  /**
   * Run the plugin in a cgroup v2 of its own where the host's cgroup is writable (default true), so
   * nothing it starts outlives it, setsid() or not. False: its process group and environment marker only.
   */
  cgroup?: boolean;
}

export interface ExitInfo {
  exitCode: number | null;
  signal: string | null;
  /** The plugin left processes running after its own process exited; the host killed them. */
  leakedProcesses: boolean;
  /** Those processes, as far as the host could tell what they were. */
  leftBehind: LeftBehind[];
  /**
   * What held the plugin's processes: a cgroup of its own (nothing escapes), or only its process group
   * plus its environment marker (a process that calls setsid() and drops its environment escapes).
   */
  containment: Containment;
  /** The host had to escalate to SIGTERM/SIGKILL (the plugin did not exit after stdin EOF). */
  forced: boolean;
  /** Why the host killed a plugin that had broken the protocol, when it did (it did not read its stdin). */
  killedBecause?: string;
}

export type Containment = 'cgroup' | 'processGroup';

/**
 * A plugin child process, managed the way a router daemon needs: its own process group (and cgroup
 * where the host may make one), a minimal
 * environment, a handshake with a timeout, calls with deadline → cancel → grace → kill of the whole
 * group, stderr always drained with a tail kept for reports, and nothing left running after stop().
 */
export class PluginProcess {
  readonly stderrTail: TailBuffer;
  session?: HostSession;
  /** Why the plugin runs without a cgroup of its own, when it does. */
  cgroupUnavailable?: string;
  /** Marks every process this plugin starts (INSTANCE_ENV), to find those that leave its group. */
  private readonly instance = randomUUID();
  private cgroup?: PluginCgroup;
  private child?: ChildProcessWithoutNullStreams;
  private exitInfo?: ExitInfo;
  private exited?: Promise<ExitInfo>;
  private forced = false;
  private killedBecause?: string;
  private stopping?: Promise<ExitInfo>;

  constructor(readonly options: PluginProcessOptions) {
    this.stderrTail = new TailBuffer(options.stderrTailBytes ?? 16 * 1024);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.exitInfo === undefined;
  }

  get exit(): ExitInfo | undefined {
    return this.exitInfo;
  }

  get containment(): Containment {
    return this.cgroup ? 'cgroup' : 'processGroup';
  }

  /** The plugin's own cgroup directory while it has one. */
  get cgroupDir(): string | undefined {
    return this.cgroup?.dir;
  }

  get initializeResult(): InitializeResult | undefined {
    return this.session?.initializeResult;
  }

  /** Spawn and complete the handshake. On any failure the process group is killed before the error is thrown. */
  async start(): Promise<InitializeResult> {
    this.spawnChild();
    try {
      return await this.session!.handshake(this.options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS);
    } catch (err) {
      await this.kill();
      throw this.decorate(err);
    }
  }

  private spawnChild(): void {
    const o = this.options;
    if (!isAbsolute(o.executable)) {
      throw new PluginError(
        'SPAWN_FAILED',
        `plugin executable must be an absolute path, got "${o.executable}"`,
      );
    }
    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
    for (const name of o.inheritEnv ?? []) {
      const v = process.env[name];
      if (v !== undefined) env[name] = v;
    }
    Object.assign(env, o.env ?? {}, {
      [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE,
      ROUTERD_HOST_PID: String(process.pid),
      [INSTANCE_ENV]: this.instance,
    });
    const child = this.spawnContained(() =>
      spawn(o.executable, o.args ?? [], {
        shell: false,
        detached: true,
        env,
        cwd: o.cwd,
        stdio: ['pipe', 'pipe', 'pipe'],
      }),
    );
    this.child = child;
    let spawnError: Error | undefined;
    this.exited = new Promise<ExitInfo>((resolve) => {
      child.once('error', (err) => {
        spawnError = err;
        // 'exit' does not follow a failed spawn.
        if (child.pid === undefined) {
          this.cgroup?.remove();
          resolve(this.recordExit(null, null, NOTHING_LEFT));
        }
      });
      child.once('exit', (code, signal) => {
        // Reap anything the plugin left running: a plugin must not outlive its own stop. Then let
        // stderr be read to its end ('exit' can come first on a busy machine), so the tail a failure
        // report carries holds the plugin's last words.
        void this.reapLeftovers()
          .then(async (left) => {
            await settledWithin(stderrEnded, STDERR_DRAIN_MS);
            return left;
          })
          .then((left) => resolve(this.recordExit(code, signal, left)));
      });
    });
    const stderrEnded = new Promise<void>((r) => {
      child.stderr.once('end', r);
      child.stderr.once('close', r);
    });
    child.stdin.on('error', () => {});
    child.stdout.on('error', () => {});
    const onLog = o.onLog;
    const lines = onLog ? new LogLineSplitter((line) => onLog(parseLogLine(line))) : undefined;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      this.stderrTail.push(text);
      lines?.push(text);
    });
    child.stderr.once('end', () => lines?.end());
    this.session = new HostSession(child.stdout, child.stdin, o);
    if (o.strictStdout) {
      this.session.onViolation(() => void this.kill());
    }
    // Its answers and requests pile up in the host's memory while it does not read them: it is ended,
    // and a supervisor restarts it within its budget.
    this.session.onNotReading((reason) => {
      this.killedBecause ??= `plugin does not read its stdin: ${reason}`;
      void this.kill();
    });
    if (spawnError)
      throw new PluginError('SPAWN_FAILED', `cannot start ${o.executable}: ${(spawnError as Error).message}`);
    this.exited.then((info) => {
      if (spawnError && child.pid === undefined) return;
      o.onExit?.(info);
    });
  }

  /** Spawns in a cgroup of the plugin's own when one can be made (and is wanted), else plainly. */
  private spawnContained(spawnPlugin: () => ChildProcessWithoutNullStreams): ChildProcessWithoutNullStreams {
    if (this.options.cgroup === false) {
      this.cgroupUnavailable = 'cgroups are turned off for this plugin';
      return spawnPlugin();
    }
    const cgroup = PluginCgroup.create(this.options.pluginName);
    if (!(cgroup instanceof PluginCgroup)) {
      this.cgroupUnavailable = cgroup.reason;
      return spawnPlugin();
    }
    let child: ChildProcessWithoutNullStreams | undefined;
    try {
      child = cgroup.spawnInside(spawnPlugin);
    } finally {
      if (child === undefined) cgroup.remove();
    }
    if (child === undefined) {
      this.cgroupUnavailable = `cannot move a process into ${cgroup.dir}`;
      return spawnPlugin();
    }
    this.cgroup = cgroup;
    return child;
  }

  /** Kills whatever the plugin left running once its own process is gone, and says what that was. */
  private async reapLeftovers(): Promise<Leftovers> {
    const pgid = this.child?.pid;
    if (pgid === undefined) return NOTHING_LEFT;
    if (this.cgroup) {
      const leftBehind = await this.cgroup.killAll();
      this.cgroup.remove();
      return { leaked: leftBehind.length > 0, leftBehind };
    }
    // No cgroup: the group, and whatever left it (setsid()) but still carries the plugin's marker.
    const leftBehind = findPluginProcesses(pgid, this.instance);
    const groupLeft = groupAlive(pgid);
    if (groupLeft) signalGroup(pgid, 'SIGKILL');
    for (const { pid } of leftBehind) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    await waitGroupGone(pgid, 1000);
    const until = Date.now() + 1000;
    while (leftBehind.some(({ pid }) => pidAlive(pid)) && Date.now() < until)
      await new Promise((r) => setTimeout(r, 20));
    return { leaked: groupLeft || leftBehind.length > 0, leftBehind };
  }

  private recordExit(exitCode: number | null, signal: string | null, left: Leftovers): ExitInfo {
    const { leaked, leftBehind } = left;
    this.exitInfo ??= {
      exitCode,
      signal,
      leakedProcesses: leaked,
      leftBehind,
      containment: this.containment,
      forced: this.forced,
      ...(this.killedBecause ? { killedBecause: this.killedBecause } : {}),
    };
    this.session?.conn.close();
    return this.exitInfo;
  }

  /** Resolves when the child has exited (and its group was reaped). */
  waitExit(): Promise<ExitInfo> {
    if (!this.exited) return Promise.reject(new PluginError('NOT_RUNNING', 'plugin was never started'));
    return this.exited;
  }

  /**
   * Run one request. On timeout or cancel the plugin gets notifications/cancelled; if it has not
   * finished with the request after the grace, it is considered wedged and its group is killed.
   */
  async run(request: PluginRequest, options: RunOptions = {}): Promise<PluginResult> {
    if (!this.running || !this.session) {
      throw new PluginError(
        'NOT_RUNNING',
        `plugin ${this.options.pluginName} is not running`,
        this.exitDetails(),
      );
    }
    try {
      return await this.session.run(request, options);
    } catch (err) {
      if (err instanceof PluginError && (err.code === 'REQUEST_TIMEOUT' || err.code === 'CANCELLED')) {
        void this.killIfWedged();
      }
      // The pipe usually closes a moment before 'exit' arrives: wait briefly so the error can say how it died.
      if (!(err instanceof PluginError)) await this.exitWithin(500);
      throw this.decorate(err);
    }
  }

  private async killIfWedged(): Promise<void> {
    // The SDK sends nothing for a cancelled request, so liveness is judged by a ping within the grace:
    // a plugin whose event loop is stuck, or that stopped reading, cannot answer and is killed.
    const grace = this.options.cancelGraceMs ?? CANCEL_GRACE_MS;
    if (!this.running || !this.session) return;
    try {
      await this.session.ping(grace);
    } catch {
      if (this.running) await this.kill();
    }
  }

  async ping(timeoutMs?: number): Promise<void> {
    if (!this.session) throw new PluginError('NOT_RUNNING', 'not started');
    await this.session.ping(timeoutMs);
  }

  /**
   * Orderly stop: `shutdown` (1 s) → close stdin → wait 2 s → SIGTERM the group → 2 s → SIGKILL.
   * Always leaves no process of the plugin's group behind.
   */
  stop(): Promise<ExitInfo> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<ExitInfo> {
    if (!this.child || !this.exited) throw new PluginError('NOT_RUNNING', 'plugin was never started');
    if (this.running && this.session?.initializeResult) await this.session.shutdown(1000);
    this.child.stdin.end();
    if (await this.exitWithin(EXIT_AFTER_EOF_MS)) return this.exited;
    this.forced = true;
    if (this.child.pid !== undefined) signalGroup(this.child.pid, 'SIGTERM');
    if (await this.exitWithin(2000)) return this.exited;
    return this.kill();
  }

  /** SIGKILL the whole group now. */
  async kill(): Promise<ExitInfo> {
    if (!this.child || !this.exited) throw new PluginError('NOT_RUNNING', 'plugin was never started');
    this.forced = true;
    if (this.child.pid !== undefined && this.running) signalGroup(this.child.pid, 'SIGKILL');
    const info = await this.exited;
    this.child.stdout.destroy();
    this.child.stderr.destroy();
    this.child.stdin.destroy();
    return info;
  }

  private async exitWithin(ms: number): Promise<boolean> {
    if (!this.exited) return true;
    await settledWithin(this.exited, ms);
    return this.exitInfo !== undefined;
  }

  private exitDetails() {
    return {
      exitCode: this.exitInfo?.exitCode,
      signal: this.exitInfo?.signal,
      stderrTail: this.stderrTail.toString().slice(-2048),
    };
  }

  /** Give every error the exit status and stderr tail, and name a dead process for what it is. */
  private decorate(err: unknown): PluginError {
    if (err instanceof PluginError) {
      Object.assign(err.details, { stderrTail: this.stderrTail.toString().slice(-2048) });
      return err;
    }
    const message = err instanceof Error ? err.message : String(err);
    const info = this.exitInfo;
    const how = info
      ? info.signal
        ? `killed by ${info.signal}`
        : `exit code ${info.exitCode}`
      : 'connection closed';
    return new PluginError(
      'PROCESS_EXITED',
      `plugin ${this.options.pluginName} exited (${how}) during the call: ${message}`,
      {
        ...this.exitDetails(),
      },
    );
  }
}

interface Leftovers {
  /** Something was left (even where /proc could not say what). */
  leaked: boolean;
  leftBehind: LeftBehind[];
}
const NOTHING_LEFT: Leftovers = { leaked: false, leftBehind: [] };

/** How long after the plugin exits its stderr may take to be read to the end. */
const STDERR_DRAIN_MS = 500;

/** Resolves when `p` settles or after `ms`, whichever comes first. */
function settledWithin(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.then(
      () => {},
      () => {},
    ),
    new Promise<void>((r) => {
      timer = setTimeout(r, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
