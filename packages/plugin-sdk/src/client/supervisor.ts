import { type } from 'arktype';
import type { PluginRequest, PluginResult } from '../protocol/schemas/messages.js';
import { PluginError } from './errors.js';
import type { RunOptions } from './host-session.js';
import { type ExitInfo, PluginProcess, type PluginProcessOptions } from './plugin-process.js';

// Schemas, not only types: the host's config and its control API's plugin status take them from here.
export const Lifecycle = type("'longLived' | 'oneShot'");
export type Lifecycle = typeof Lifecycle.infer;
export const SupervisorState = type("'stopped' | 'starting' | 'running' | 'backoff' | 'degraded'");
export type SupervisorState = typeof SupervisorState.infer;

export interface SupervisorOptions extends PluginProcessOptions {
  lifecycle: Lifecycle;
  /** At most `maxRestarts` unplanned restarts within `windowMs`, then the plugin is marked degraded. */
  restartBudget?: { maxRestarts: number; windowMs: number };
  backoff?: { baseMs: number; maxMs: number };
  onStateChange?: (state: SupervisorState, reason?: string) => void;
  now?: () => number;
}

export interface SupervisorRunOptions extends RunOptions {
  /** One-shot only: how the run's own process ended, what it left behind included; called before run() settles. */
  onProcessExit?: (info: ExitInfo) => void;
}

/**
 * Keeps a long-lived plugin running within a restart budget (an editor's language-server budget: a few
 * restarts per few minutes, then stop and say so), or spawns a one-shot plugin per call.
 */
export class PluginSupervisor {
  state: SupervisorState = 'stopped';
  lastError?: string;
  private proc?: PluginProcess;
  private restarts: number[] = [];
  private stopped = true;
  private restartTimer?: NodeJS.Timeout;
  private attempt = 0;

  constructor(readonly options: SupervisorOptions) {}

  get process(): PluginProcess | undefined {
    return this.proc;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private setState(state: SupervisorState, reason?: string): void {
    this.state = state;
    if (reason) this.lastError = reason;
    this.options.onStateChange?.(state, reason);
  }

  /** Long-lived: spawn and handshake now. One-shot: only validates that runs may proceed. */
  async start(): Promise<void> {
    this.stopped = false;
    if (this.options.lifecycle === 'oneShot') {
      this.setState('running');
      return;
    }
    await this.spawnLongLived();
  }

  private async spawnLongLived(): Promise<void> {
    this.setState('starting');
    let handshakeDone = false;
    const proc = new PluginProcess({
      ...this.options,
      onExit: (info) => {
        this.options.onExit?.(info);
        // An exit during start() is handled by its catch below (a handshake refusal must not restart).
        if (this.proc === proc && handshakeDone) this.onUnexpectedExit(info);
      },
    });
    this.proc = proc;
    try {
      await proc.start();
      handshakeDone = true;
      this.attempt = 0;
      this.setState('running');
    } catch (err) {
      // A handshake refusal (ungranted capability, bad version, bad config) will not fix itself: no restart loop.
      const code = err instanceof PluginError ? err.code : 'SPAWN_FAILED';
      const message = err instanceof Error ? err.message : String(err);
      if (
        code === 'CAPABILITY_NOT_GRANTED' ||
        code === 'UNSUPPORTED_PROTOCOL_VERSION' ||
        code === 'HANDSHAKE_FAILED'
      ) {
        this.proc = undefined;
        this.setState('degraded', message);
        throw err;
      }
      this.proc = undefined;
      this.scheduleRestart(message);
      throw err;
    }
  }

  private onUnexpectedExit(info: ExitInfo): void {
    if (this.stopped) return;
    this.proc = undefined;
    const how = info.signal ? `killed by ${info.signal}` : `exit code ${info.exitCode}`;
    const why = info.killedBecause ? `: ${info.killedBecause}` : '';
    this.scheduleRestart(`plugin exited unexpectedly (${how})${why}`);
  }

  private scheduleRestart(reason: string): void {
    if (this.stopped) return;
    const budget = this.options.restartBudget ?? { maxRestarts: 4, windowMs: 180_000 };
    const now = this.now();
    this.restarts = this.restarts.filter((t) => now - t < budget.windowMs);
    if (this.restarts.length >= budget.maxRestarts) {
      this.setState(
        'degraded',
        `${reason}; restart budget of ${budget.maxRestarts} per ${budget.windowMs / 1000}s used up`,
      );
      return;
    }
    this.restarts.push(now);
    const b = this.options.backoff ?? { baseMs: 500, maxMs: 30_000 };
    const delay = Math.min(b.maxMs, b.baseMs * 2 ** this.attempt++);
    this.setState('backoff', reason);
    this.restartTimer = setTimeout(() => {
      this.spawnLongLived().catch(() => {});
    }, delay);
  }

  async run(request: PluginRequest, options: SupervisorRunOptions = {}): Promise<PluginResult> {
    if (this.options.lifecycle === 'oneShot') return this.runOneShot(request, options);
    if (this.state === 'degraded')
      throw new PluginError('DEGRADED', `plugin is degraded: ${this.lastError ?? ''}`);
    if (!this.proc || this.state !== 'running') {
      throw new PluginError(
        'NOT_RUNNING',
        `plugin is ${this.state}${this.lastError ? `: ${this.lastError}` : ''}`,
      );
    }
    return this.proc.run(request, options);
  }

  private async runOneShot(request: PluginRequest, options: SupervisorRunOptions): Promise<PluginResult> {
    const proc = new PluginProcess(this.options);
    this.proc = proc;
    try {
      await proc.start();
      return await proc.run(request, options);
    } finally {
      const exit = await proc.stop().catch(() => proc.exit);
      if (exit) options.onProcessExit?.(exit);
      if (this.proc === proc) this.proc = undefined;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    const proc = this.proc;
    this.proc = undefined;
    if (proc?.running) await proc.stop();
    this.setState('stopped');
  }
}
