/**
 * The daemon's plugins: one PluginSupervisor per `Plugin` resource (long-lived ones started at once and
 * kept up within their restart budget, one-shot ones spawned per run), every run recorded, interval
 * triggers scheduled, and `events/publish` routed into the EmitPipeline. Subscriptions call `run()` and
 * listen with `onResult()`; nothing here knows about subscriptions or dynamic config.
 */
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { PluginRunOutcome, PluginStatus } from '@routerd/host-wire';
import {
  API_VERSION_PLUGIN,
  type PluginRequest,
  type PluginResult,
  parseDuration,
} from '@routerd/plugin-sdk';
import {
  type ExitInfo,
  type HostInfo,
  PluginCgroup,
  PluginSupervisor,
  probeCgroups,
  type SupervisorOptions,
} from '@routerd/plugin-sdk/client';
import { monotonicFactory } from 'ulid';
import { type Clock, isoAt } from '../clock.js';
import type { FederationConfig, Plugin } from '../config/index.js';
import type { EmitPipeline } from '../events/emit.js';
import type { Metrics } from '../metrics.js';
import type { PluginRunStore } from '../store/plugin-runs.js';
import { VERSION } from '../version.js';
import { IntervalTriggers } from './interval-triggers.js';
import { messageEntry, PluginLog, type PluginLogLimits } from './plugin-log.js';
import { PublishCommits } from './publish.js';
import { RecentWarning } from './recent-warning.js';
import { classifyFailure, describeLeftBehind, failure, type RunFailure } from './run-failure.js';
import type { PluginRunInput } from './schemas.js';

export type { PluginRunInput, PluginRunOutcome, PluginStatus };

export type PluginHostLog = (
  level: 'debug' | 'info' | 'warn' | 'error',
  msg: string,
  fields?: Record<string, unknown>,
) => void;

export type ResultListener = (pluginName: string, outcome: PluginRunOutcome, input: PluginRunInput) => void;

export interface PluginHostOptions {
  runs: PluginRunStore;
  /** Where a long-lived observer's `events/publish` drafts are written. */
  pipeline: EmitPipeline;
  clock: Clock;
  log: PluginHostLog;
  host?: HostInfo;
  /**
   * Passed to every supervisor; tests shorten them. Defaults are the SDK's (4 restarts in 3 min, a
   * cgroup per plugin process where the daemon's cgroup is writable).
   */
  supervision?: Pick<
    SupervisorOptions,
    'restartBudget' | 'backoff' | 'handshakeTimeoutMs' | 'cancelGraceMs' | 'cgroup'
  >;
  /** How many log lines a plugin may put in the daemon's log (DEFAULT_PLUGIN_LOG_LIMITS). */
  logLimits?: PluginLogLimits;
  /** Runs, durations, restarts and states, labelled by Plugin name. */
  metrics?: Metrics;
}

/** A plugin may leave thousands of processes: the log names the first few and counts them all. */
const LOGGED_PROCESSES = 20;

interface ManagedPlugin {
  resource: Plugin;
  specKey: string;
  supervisor: PluginSupervisor;
  restarts: number;
  lastRunAt?: string;
  /** One-shot only: the last spawn was refused at the handshake (declared more than granted). */
  handshakeRefusal?: string;
  /** The plugin's last warn/error log line, for the doctor while it is recent. */
  warnings: RecentWarning;
}

export class PluginHost {
  private readonly plugins = new Map<string, ManagedPlugin>();
  private readonly listeners = new Set<ResultListener>();
  private readonly inFlight = new Set<Promise<PluginRunOutcome>>();
  /**
   * Aborted by stop(): every run in flight is cancelled through this one signal, so a run costs no
   * AbortController of its own (an EventTarget costs more than the rest of a warm call's bookkeeping).
   */
  private readonly stopping = new AbortController();
  private readonly intervals: IntervalTriggers;
  /** Every observer's events/publish calls: those that arrive together are committed together. */
  private readonly publishes: PublishCommits;
  private readonly nextId = monotonicFactory();
  private applying: Promise<void> = Promise.resolve();
  private stopped = false;
  private containmentChecked = false;

  constructor(private readonly options: PluginHostOptions) {
    // Each run in flight listens on the one signal: as many listeners as runs is no leak.
    setMaxListeners(0, this.stopping.signal);
    this.publishes = new PublishCommits(options.pipeline);
    this.intervals = new IntervalTriggers(
      (plugin) => this.run(plugin, { trigger: { type: 'interval' }, events: [] }),
      options.clock,
    );
    if (options.metrics)
      options.metrics.sources.pluginStates = () =>
        this.status().map((p) => ({ plugin: p.name, state: p.state }));
  }

  /**
   * Make the running plugins match the config: new ones are started, removed ones stopped, changed ones
   * (any field of the spec) restarted; unchanged ones keep running. Never throws: a plugin that fails
   * to start is reported in its status and the log. Calls are serialised.
   */
  apply(config: FederationConfig): Promise<void> {
    const next = this.applying.then(() => this.applyNow(config));
    this.applying = next.catch(() => {});
    return next;
  }

  private async applyNow(config: FederationConfig): Promise<void> {
    if (this.stopped) return;
    if (!this.containmentChecked) await this.checkContainment();
    const wanted = new Map(config.plugins.map(({ resource }) => [resource.metadata.name, resource]));
    const retiring: Promise<void>[] = [];
    for (const [name, managed] of this.plugins) {
      const resource = wanted.get(name);
      if (resource && specKeyOf(resource) === managed.specKey) continue;
      this.plugins.delete(name);
      this.options.log(
        'info',
        resource ? 'plugin spec changed: restarting it' : 'plugin removed: stopping it',
        {
          plugin: name,
        },
      );
      retiring.push(managed.supervisor.stop());
    }
    await Promise.all(retiring);
    const starting: Promise<void>[] = [];
    for (const [name, resource] of wanted) {
      if (this.plugins.has(name)) continue;
      const managed = this.manage(resource);
      this.plugins.set(name, managed);
      starting.push(this.start(managed));
    }
    await Promise.all(starting);
    this.intervals.apply(
      [...this.plugins.values()].map((m) => ({
        name: m.resource.metadata.name,
        triggers: m.resource.spec.triggers,
        specKey: m.specKey,
      })),
    );
  }

  /**
   * Once, before the first plugin starts: say whether plugins get cgroups of their own (what a plugin
   * leaves running is then always found), and kill what plugins of a crashed daemon left in theirs.
   */
  private async checkContainment(): Promise<void> {
    this.containmentChecked = true;
    if (this.options.supervision?.cgroup === false) return;
    const cgroups = probeCgroups();
    if ('reason' in cgroups) {
      // Not an error: the process group and environment marker still find most of what a plugin leaves.
      this.options.log('info', 'plugins run without cgroups of their own', { reason: cgroups.reason });
      return;
    }
    this.options.log('debug', 'each plugin process runs in a cgroup of its own', { under: cgroups.dir });
    const swept = await PluginCgroup.sweepStale();
    if (swept.removed.length > 0 || swept.killed.length > 0)
      this.options.log('warn', 'killed plugin processes a previous routerd-eventd left running', {
        cgroups: swept.removed.slice(0, LOGGED_PROCESSES),
        count: swept.killed.length,
        processes: swept.killed.slice(0, LOGGED_PROCESSES),
      });
  }

  private manage(resource: Plugin): ManagedPlugin {
    const name = resource.metadata.name;
    const { spec } = resource;
    const pluginLog = new PluginLog(name, this.options.clock, this.options.log, this.options.logLimits);
    const warnings = new RecentWarning(this.options.clock);
    const supervisor: PluginSupervisor = new PluginSupervisor({
      ...this.options.supervision,
      lifecycle: spec.lifecycle,
      pluginName: name,
      executable: spec.executable,
      args: spec.args,
      env: spec.env,
      granted: spec.capabilities,
      config: spec.config,
      host: this.options.host ?? { name: 'routerd-eventd', version: VERSION },
      limits: { defaultTimeoutMs: parseDuration(spec.timeout) },
      // The SDK answers -32021 itself when observe.events is not granted; this only sees granted publishers.
      onPublish: (params) => this.publishes.publish(params),
      onLog: (entry) => {
        warnings.note(entry);
        pluginLog.write(entry);
      },
      onMessage: (params) => {
        const entry = messageEntry(params);
        warnings.note(entry);
        pluginLog.write(entry);
      },
      onExit: (info) => {
        pluginLog.flush();
        this.noteLeftBehind(name, info);
      },
      onStateChange: (state, reason) => {
        const managed = this.plugins.get(name);
        if (managed?.supervisor !== supervisor) return; // a retired supervisor's last words
        if (state === 'backoff') {
          managed.restarts++;
          this.options.metrics?.pluginRestarts.inc({ plugin: name });
          this.options.log('warn', 'plugin stopped unexpectedly: restarting it', { plugin: name, reason });
        } else if (state === 'degraded') {
          this.options.log('error', 'plugin degraded: not running until its spec changes', {
            plugin: name,
            reason,
          });
        }
      },
    });
    return { resource, specKey: specKeyOf(resource), restarts: 0, supervisor, warnings };
  }

  private async start(managed: ManagedPlugin): Promise<void> {
    const name = managed.resource.metadata.name;
    try {
      await managed.supervisor.start();
      if (managed.resource.spec.lifecycle === 'longLived')
        this.options.log('info', 'plugin started', { plugin: name });
    } catch (err) {
      // The supervisor already decided: restart within the budget, or degraded (handshake refusals).
      this.options.log('error', 'plugin failed to start', {
        plugin: name,
        code: (err as { code?: string }).code,
        reason: (err as Error).message,
        state: managed.supervisor.state,
      });
    }
  }

  private noteLeftBehind(plugin: string, info: ExitInfo): void {
    if (!info.leakedProcesses) return;
    this.options.log('warn', 'plugin left processes running after it exited: killed them', {
      plugin,
      containment: info.containment,
      count: info.leftBehind.length,
      processes: info.leftBehind.slice(0, LOGGED_PROCESSES),
    });
  }

  /** Whether a Plugin of this name is configured. */
  has(pluginName: string): boolean {
    return this.plugins.has(pluginName);
  }

  /**
   * Run a plugin once and record the run. Never throws: every failure is an outcome. A successful run
   * that is not a dry run is handed to the onResult listeners.
   */
  run(
    pluginName: string,
    input: PluginRunInput,
    opts: { dryRun?: boolean; runId?: string } = {},
  ): Promise<PluginRunOutcome> {
    const runId = opts.runId ?? this.newRunId();
    const running = this.runNow(pluginName, runId, input, opts.dryRun ?? false, this.stopping.signal);
    this.inFlight.add(running);
    void running.finally(() => this.inFlight.delete(running));
    return running;
  }

  /** A fresh run id (a ULID: sortable by start), for a caller that records the run before it starts. */
  newRunId(): string {
    return this.nextId();
  }

  private async runNow(
    pluginName: string,
    runId: string,
    input: PluginRunInput,
    dryRun: boolean,
    signal: AbortSignal,
  ): Promise<PluginRunOutcome> {
    const startedMs = this.options.clock.now();
    const began = performance.now();
    const managed = this.plugins.get(pluginName);
    const timeoutMs = managed ? parseDuration(managed.resource.spec.timeout) : 0;
    const request = pluginRequest(pluginName, runId, input, startedMs, timeoutMs);

    let result: PluginResult | undefined;
    let failed: RunFailure | undefined;
    let exit: ExitInfo | undefined;
    if (this.stopped) failed = failure('SHUTTING_DOWN', 'routerd-eventd is shutting down');
    else if (!managed) failed = failure('NOT_CONFIGURED', `no Plugin named "${pluginName}" is configured`);
    else {
      try {
        result = await managed.supervisor.run(request, {
          timeoutMs,
          signal,
          onProcessExit: (info) => {
            exit = info;
          },
        });
      } catch (err) {
        failed = classifyFailure(err);
      }
      this.noteHandshake(managed, failed);
      managed.lastRunAt = isoAt(startedMs);
    }

    const outcome: PluginRunOutcome = {
      runId,
      plugin: pluginName,
      outcome: failed?.outcome ?? 'succeeded',
      durationMs: Math.round((performance.now() - began) * 10) / 10,
      startedAt: isoAt(startedMs),
      dryRun,
    };
    if (result) outcome.result = result;
    if (failed) outcome.error = failed.error;
    this.record(outcome, input, request.metadata.name, failed, exit);
    if (outcome.outcome === 'succeeded' && !dryRun) this.emitResult(pluginName, outcome, input);
    return outcome;
  }

  /** A one-shot plugin's handshake refusal shows in its status until a spawn succeeds again. */
  private noteHandshake(managed: ManagedPlugin, failed: RunFailure | undefined): void {
    if (managed.resource.spec.lifecycle !== 'oneShot') return;
    if (failed?.handshakeRefused) {
      if (managed.handshakeRefusal === undefined)
        this.options.log('error', 'plugin refused at its handshake', {
          plugin: managed.resource.metadata.name,
          reason: failed.error.message,
        });
      managed.handshakeRefusal = failed.error.message;
    } else if (failed?.error.code !== 'SPAWN_FAILED') managed.handshakeRefusal = undefined;
  }

  private record(
    outcome: PluginRunOutcome,
    input: PluginRunInput,
    requestName: string,
    failed?: RunFailure,
    exit?: ExitInfo,
  ) {
    const metrics = this.options.metrics;
    // Only configured plugins get series: a run asked of an unknown name must not grow the label set.
    if (metrics && this.plugins.has(outcome.plugin)) {
      metrics.pluginRuns.inc({
        plugin: outcome.plugin,
        trigger: input.trigger.type,
        outcome: outcome.outcome,
      });
      metrics.pluginRunDuration.observe({ plugin: outcome.plugin }, outcome.durationMs / 1000);
    }
    const level = outcome.outcome === 'succeeded' ? 'debug' : 'warn';
    this.options.log(level, `plugin run ${outcome.outcome}`, {
      plugin: outcome.plugin,
      runId: outcome.runId,
      trigger: input.trigger.type,
      durationMs: outcome.durationMs,
      ...(failed ? { code: failed.error.code, reason: failed.error.message } : {}),
    });
    try {
      this.options.runs.insert({
        runId: outcome.runId,
        plugin: outcome.plugin,
        trigger: input.trigger.type,
        subscription: input.trigger.subscription ?? null,
        topic: input.trigger.topic ?? null,
        requestName,
        dryRun: outcome.dryRun,
        startedAt: outcome.startedAt,
        durationMs: outcome.durationMs,
        outcome: outcome.outcome,
        events: input.events.length,
        errorCode: failed?.error.code ?? null,
        errorMessage: failed?.error.message ?? null,
        capability: failed?.error.capability ?? null,
        exitCode: failed?.exitCode ?? null,
        signal: failed?.signal ?? null,
        stderrTail: failed?.stderrTail ?? null,
        leftBehind: exit ? describeLeftBehind(exit) : null,
      });
    } catch (err) {
      // The database may already be closing at shutdown; losing a record must not lose the outcome.
      this.options.log('error', 'could not record a plugin run', { runId: outcome.runId, err: String(err) });
    }
  }

  /** Every successful run that is not a dry run, whatever triggered it. Returns an unsubscribe. */
  onResult(listener: ResultListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emitResult(pluginName: string, outcome: PluginRunOutcome, input: PluginRunInput): void {
    for (const listener of this.listeners) {
      try {
        listener(pluginName, outcome, input);
      } catch (err) {
        this.options.log('error', 'a plugin result listener failed', {
          plugin: pluginName,
          err: String(err),
        });
      }
    }
  }

  status(): PluginStatus[] {
    return [...this.plugins.values()].map((m) => {
      const s: PluginStatus = {
        name: m.resource.metadata.name,
        lifecycle: m.resource.spec.lifecycle,
        state: m.handshakeRefusal !== undefined ? 'degraded' : m.supervisor.state,
        intervals: m.resource.spec.triggers.map((t) => t.every),
      };
      const lastError = m.handshakeRefusal ?? m.supervisor.lastError;
      if (lastError !== undefined) s.lastError = lastError;
      if (m.resource.spec.lifecycle === 'longLived') s.restarts = m.restarts;
      if (m.lastRunAt !== undefined) s.lastRunAt = m.lastRunAt;
      const warning = m.warnings.current();
      if (warning) s.lastWarning = warning;
      return s;
    });
  }

  /** Long-lived supervisor of a plugin (for tests and diagnostics). */
  supervisorOf(pluginName: string): PluginSupervisor | undefined {
    return this.plugins.get(pluginName)?.supervisor;
  }

  /**
   * Stop the schedules, cancel runs in flight (they are recorded as CANCELLED), stop every plugin.
   * Call before the database closes.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.intervals.stop();
    await this.applying;
    this.stopping.abort();
    await Promise.allSettled([...this.inFlight]);
    await Promise.allSettled([...this.plugins.values()].map((m) => m.supervisor.stop()));
    this.plugins.clear();
  }
}

function pluginRequest(
  plugin: string,
  requestId: string,
  input: PluginRunInput,
  now: number,
  timeoutMs: number,
): PluginRequest {
  // e.g. aws-claims-20261127T060000Z, as in docs/protocol.md § 6.
  const stamp = isoAt(now)
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return {
    apiVersion: API_VERSION_PLUGIN,
    kind: 'PluginRequest',
    metadata: { name: `${plugin}-${stamp}`, requestId },
    spec: {
      trigger: input.trigger,
      events: input.events,
      now: isoAt(now),
      deadline: isoAt(now + timeoutMs),
    },
  };
}

/** The spec with keys sorted, so reordering a YAML mapping is not mistaken for a change. */
function specKeyOf(resource: Plugin): string {
  return JSON.stringify(resource.spec, (_key, value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)))
      : value,
  );
}
