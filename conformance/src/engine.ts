import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Capability, Methods } from '@routerd/plugin-sdk';
import {
  CATALOGUE,
  type CheckInfo,
  selectorIsKnown,
  selectorMatches,
  sentenceFor,
  TESTED_CAPABILITIES,
} from './catalogue.js';
import { CHECK_IMPLS } from './checks/index.js';
import {
  type CheckContext,
  DEFAULT_TIMEOUTS,
  NotTestable,
  type Probe,
  type Timeouts,
  type Verdict,
} from './checks/types.js';
import { findExecutable } from './executable.js';
import { type Exercise, runExercise } from './exercise.js';
import type { ExpectedFailure } from './expected-failures.js';
import type { CheckResult, Report } from './report.js';
import { BUILTIN_VECTORS_DIR, type LoadedVector, loadVectors } from './vectors.js';
import { VERSION } from './version.js';
import { describe, type JsonObject, PluginSession, type SessionOptions } from './wire/plugin-session.js';

export interface ConformanceOptions {
  /**
   * The plugin executable, or its interpreter with the script in `args` (`python3`, `['plugin.py']`): a
   * path with a slash is resolved against the current directory; a bare name is a file here, else a
   * command on PATH.
   */
  executable: string;
  args?: string[];
  /** The plugin's config (initialize `config`). */
  config?: JsonObject;
  /** What the operator grants; all grantable v1 capabilities by default. */
  grant?: Capability[];
  /** Run only these checks: ids, groups or id prefixes. */
  only?: string[];
  /** Extra golden vectors (`<capability>/<name>.json`), added to the built-in ones. */
  vectorsDir?: string;
  /** Keep report.json and, per check, the transcript of every message and the plugin's stderr. */
  outputDir?: string;
  expectedFailures?: ExpectedFailure[];
  timeouts?: Partial<Timeouts>;
  /** Checks run in parallel, each with its own plugin processes. */
  concurrency?: number;
  /** Called once the first handshake (the probe) is over, before any check runs (for live output). */
  onStart?: (start: Pick<Report, 'plugin' | 'granted'>) => void;
  /** Called as each check finishes, with its final status (expected failures applied; for live output). */
  onResult?: (result: CheckResult) => void;
}

/** A mistake in the options (unknown --only selector, bad vectors): the CLI exits 2. */
export class UsageError extends Error {}

const GRANTABLE: Capability[] = [...TESTED_CAPABILITIES];

interface CheckRun {
  info: CheckInfo;
  /** Processes this check started (killed when it ends). */
  sessions: PluginSession[];
  /** Shared processes this check used (killed when the run ends). */
  borrowed: PluginSession[];
  result?: CheckResult;
}

/** Run the conformance suite against one plugin executable and return the report. */
export async function runConformance(options: ConformanceOptions): Promise<Report> {
  const startedAt = new Date();
  const found = findExecutable(options.executable, options.args ?? []);
  const executable = found.path;
  const args = options.args ?? [];
  const granted = options.grant ?? GRANTABLE;
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  for (const s of [...(options.only ?? []), ...(options.expectedFailures ?? []).map((e) => e.entry)]) {
    if (!selectorIsKnown(s))
      throw new UsageError(`"${s}" names no check or group (see the catalogue in conformance/README.md)`);
  }
  let vectors: LoadedVector[];
  try {
    vectors = [
      ...loadVectors(BUILTIN_VECTORS_DIR),
      ...(options.vectorsDir ? loadVectors(resolve(options.vectorsDir)) : []),
    ];
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const selected = CATALOGUE.filter(
    (c) => !options.only?.length || options.only.some((s) => selectorMatches(s, c)),
  );

  const allSessions: PluginSession[] = [];
  const baseSessionOptions = (label: string): SessionOptions => ({
    executable,
    args,
    label,
    granted,
    config: options.config ?? {},
    requestTimeoutMs: timeouts.requestMs,
  });
  const newSession = (opts: SessionOptions) => {
    const s = new PluginSession(opts);
    allSessions.push(s);
    return s;
  };

  const startError = found.problem;
  const probeSession = startError ? undefined : newSession(baseSessionOptions('probe'));
  const probe = probeSession ? await runProbe(probeSession, timeouts) : { problem: startError };
  const couldNotStart =
    startError ??
    (probeSession && !probe.response && probeSession.exit
      ? probe.problem
      : probeSession?.spawnError?.message);
  const sessionGrant = probe.declared ? granted.filter((c) => probe.declared!.includes(c)) : granted;
  await probeSession?.dispose();
  options.onStart?.({ plugin: pluginInfo(executable, args, probe), granted: [...granted] });

  let exercise: Promise<Exercise> | undefined;
  const exerciseSessions: PluginSession[] = [];
  const wireSessions: PluginSession[] = [];
  let wire: Promise<PluginSession> | undefined;
  let wireLock: Promise<unknown> = Promise.resolve();
  /** A context whose sessions are named after `label` and collected in `sessions`. */
  const makeContext = (
    label: string,
    sessions: PluginSession[],
    borrowed: PluginSession[] = [],
  ): CheckContext => {
    const ctx: CheckContext = {
      executable,
      args,
      config: options.config ?? {},
      granted,
      sessionGrant,
      timeouts,
      probe,
      vectors,
      spawn: (o = {}) => {
        const name = sessions.length ? `${label}#${sessions.length + 1}` : label;
        const s = newSession({ ...baseSessionOptions(name), granted: sessionGrant, ...o });
        sessions.push(s);
        return s;
      },
      open: async (o = {}) => {
        const s = ctx.spawn(o);
        const { response } = await s.initialize({}, timeouts.handshakeMs).catch((err: Error) => {
          throw new NotTestable(`the handshake failed in this session: ${err.message}`);
        });
        if (response.error) throw new NotTestable(`initialize failed in this session: ${describe(response)}`);
        s.notify(Methods.initialized, {});
        return s;
      },
      exercise: () => {
        exercise ??= runExercise(
          makeContext('exercise', exerciseSessions),
          vectors.filter((v) => probe.declared?.includes(v.capability) && granted.includes(v.capability)),
        );
        return exercise;
      },
      withWireSession: <T>(fn: (s: PluginSession) => Promise<T>): Promise<T> => {
        const turn = wireLock.then(async () => {
          wire ??= makeContext('wire', wireSessions).open();
          const s = await wire;
          borrowed.push(s);
          if (!s.running)
            throw new NotTestable(
              `the plugin process shared by the wire checks exited earlier${s.exitNote()}`,
            );
          return fn(s);
        });
        wireLock = turn.catch(() => undefined);
        return turn;
      },
      allSessions: () => allSessions,
    };
    return ctx;
  };

  const runs: CheckRun[] = selected.map((info) => ({ info, sessions: [], borrowed: [] }));
  const report = (
    run: CheckRun,
    status: CheckResult['status'],
    verdict: Verdict,
    notTestable: boolean,
    ms: number,
  ) => {
    run.result = {
      id: run.info.id,
      group: run.info.group,
      title: run.info.title,
      requirements: run.info.requirements,
      sentence: run.info.sentence,
      severity: run.info.severity,
      ...(status !== 'pass' && status !== 'skip' && verdict.violated
        ? {
            violated: verdict.violated.map((r) => ({ requirement: r, sentence: sentenceFor(run.info, r) })),
          }
        : {}),
      status,
      message: verdict.message,
      details: verdict.details ?? [],
      notTestable,
      durationMs: ms,
    };
    const expected =
      status === 'fail' ? expectedFailure(run.result, options.expectedFailures ?? []) : undefined;
    if (expected) {
      run.result.status = 'xfail';
      run.result.expectedFailure = expected.reason ?? 'listed in the expected-failures file';
    }
    const tail = [...run.sessions, ...new Set(run.borrowed)]
      .map((s) => s.stderr.toString())
      .join('')
      .slice(-2048);
    if (tail.trim()) run.result.stderrTail = tail;
    options.onResult?.(run.result);
  };

  const execute = async (run: CheckRun) => {
    const impl = CHECK_IMPLS.get(run.info.id)!;
    const t0 = Date.now();
    const gated = gate(run.info, impl.needsHandshake, couldNotStart, probe, granted);
    if (gated)
      return report(
        run,
        gated.status,
        { ok: gated.status === 'skip', message: gated.message },
        gated.status === 'fail',
        0,
      );
    let verdict: Verdict;
    let notTestable = false;
    try {
      verdict = await impl.run(makeContext(run.info.id, run.sessions, run.borrowed));
    } catch (err) {
      notTestable = err instanceof NotTestable;
      verdict = {
        ok: false,
        message: notTestable ? `not testable: ${(err as Error).message}` : (err as Error).message,
      };
    }
    // End this check's processes and their groups: nothing of a check outlives it.
    await Promise.all(run.sessions.map((s) => s.dispose()));
    const status = verdict.ok ? 'pass' : notTestable || run.info.severity === 'must' ? 'fail' : 'warn';
    report(run, status, verdict, notTestable, Date.now() - t0);
  };

  const direct = runs.filter((r) => !CHECK_IMPLS.get(r.info.id)!.derived);
  await pool(direct, options.concurrency ?? 3, execute);
  if (exercise) await exercise.catch(() => undefined);
  for (const r of runs.filter((r) => CHECK_IMPLS.get(r.info.id)!.derived)) await execute(r);
  await Promise.all(allSessions.map((s) => s.dispose()));

  const results = runs.map((r) => r.result!);
  const stale = staleExpectedFailures(results, options.expectedFailures ?? []);
  const summary = {
    total: results.length,
    pass: count(results, 'pass'),
    fail: count(results, 'fail'),
    warn: count(results, 'warn'),
    skip: count(results, 'skip'),
    xfail: count(results, 'xfail'),
    staleExpectedFailures: stale.length,
  };
  const out: Report = {
    reportVersion: 1,
    tool: { name: '@routerd/conformance', version: VERSION },
    plugin: pluginInfo(executable, args, probe),
    granted: [...granted],
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    ...(couldNotStart ? { startError: couldNotStart } : {}),
    ok: summary.fail === 0 && stale.length === 0,
    summary,
    checks: results,
    staleExpectedFailures: stale,
  };
  if (options.outputDir) writeOutputDir(resolve(options.outputDir), out, runs, exerciseSessions, allSessions);
  return out;
}

/** Why a check does not run at all: skipped (a capability not declared or not granted), or not testable. */
function gate(
  info: CheckInfo,
  needsHandshake: boolean,
  couldNotStart: string | undefined,
  probe: Probe,
  granted: readonly Capability[],
): { status: 'skip' | 'fail'; message: string } | undefined {
  const cap = info.capability;
  if (couldNotStart)
    return { status: 'fail', message: `not testable: the plugin could not be started: ${couldNotStart}` };
  if (cap && probe.declared && !probe.declared.includes(cap))
    return { status: 'skip', message: `${cap} is not declared` };
  // A host would not run the plugin at all; lifecycle.declared-within-granted reports that once.
  if (cap && !granted.includes(cap))
    return { status: 'skip', message: `${cap} is declared but not granted (--grant)` };
  if (needsHandshake && !probe.result) {
    return {
      status: 'fail',
      message: `not testable: the plugin did not complete the handshake: ${probe.problem}`,
    };
  }
  if (cap && !probe.declared)
    return { status: 'fail', message: 'not testable: the initialize result has no list of capabilities' };
  return undefined;
}

/** What the report says about the plugin: how it was started, and what its initialize result told. */
function pluginInfo(executable: string, args: string[], probe: Probe): Report['plugin'] {
  const init = probe.result ?? {};
  const nameVersion = (v: unknown) =>
    v && typeof v === 'object' ? (v as { name?: unknown; version?: unknown }) : {};
  const plugin = nameVersion(init.plugin);
  const sdk = nameVersion(init.sdk);
  return {
    executable,
    args,
    ...(typeof plugin.name === 'string' ? { name: plugin.name } : {}),
    ...(typeof plugin.version === 'string' ? { version: plugin.version } : {}),
    ...(typeof sdk.name === 'string' && typeof sdk.version === 'string'
      ? { sdk: { name: sdk.name, version: sdk.version } }
      : {}),
    ...(typeof init.protocolVersion === 'number' ? { protocolVersion: init.protocolVersion } : {}),
    ...(probe.declared ? { declaredCapabilities: probe.declared } : {}),
  };
}

async function runProbe(s: PluginSession, timeouts: Timeouts): Promise<Probe> {
  try {
    const { response, ms } = await s.initialize({}, timeouts.handshakeMs);
    if (response.error)
      return { response, ms, problem: `initialize was answered with ${describe(response)}` };
    const result = response.result;
    if (!result || typeof result !== 'object')
      return { response, ms, problem: `initialize result is not an object: ${describe(response)}` };
    const caps = (result as JsonObject).capabilities;
    const declared = Array.isArray(caps)
      ? (caps.filter((c) => typeof c === 'string') as Capability[])
      : undefined;
    return { response, ms, result: result as JsonObject, declared };
  } catch (err) {
    return {
      problem: s.spawnError
        ? `cannot start ${s.options.executable}: ${s.spawnError.message}`
        : (err as Error).message,
    };
  }
}

function count(results: CheckResult[], status: CheckResult['status']): number {
  return results.filter((r) => r.status === status).length;
}

/** The expected-failures entry that names a failing check (it then becomes xfail), if any. */
function expectedFailure(result: CheckResult, entries: ExpectedFailure[]): ExpectedFailure | undefined {
  return entries.find((e) => selectorMatches(e.entry, result));
}

/** Entries whose checks all ran and none failed: the debt was paid. */
function staleExpectedFailures(
  results: CheckResult[],
  entries: ExpectedFailure[],
): Report['staleExpectedFailures'] {
  return entries
    .filter((e) => {
      const matched = results.filter((r) => selectorMatches(e.entry, r));
      return matched.length > 0 && !matched.some((r) => r.status === 'xfail');
    })
    .map((e) => (e.reason ? { entry: e.entry, reason: e.reason } : { entry: e.entry }));
}

async function pool<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(size, items.length)) }, worker));
}

function writeOutputDir(
  dir: string,
  report: Report,
  runs: CheckRun[],
  exerciseSessions: PluginSession[],
  all: PluginSession[],
): void {
  const sessionsDir = join(dir, 'sessions');
  mkdirSync(sessionsDir, { recursive: true });
  const fileName = (label: string) => label.replace(/[^A-Za-z0-9._-]/g, '_');
  const written = new Map<PluginSession, string[]>();
  const write = (s: PluginSession): string[] => {
    const done = written.get(s);
    if (done) return done;
    const base = fileName(s.options.label);
    writeFileSync(
      join(sessionsDir, `${base}.transcript.jsonl`),
      `${s.transcript.map((e) => JSON.stringify(e)).join('\n')}\n`,
    );
    writeFileSync(join(sessionsDir, `${base}.stderr.log`), s.stderr.toString());
    const files = [`sessions/${base}.transcript.jsonl`, `sessions/${base}.stderr.log`];
    written.set(s, files);
    return files;
  };
  const exerciseFiles = exerciseSessions.flatMap(write);
  const probe = all.find((s) => s.options.label === 'probe');
  const probeFiles = probe ? write(probe) : [];
  for (const run of runs) {
    if (!run.result) continue;
    const own = [...run.sessions, ...new Set(run.borrowed)].flatMap(write);
    const shared =
      run.info.group === 'capabilities' || CHECK_IMPLS.get(run.info.id)?.derived ? exerciseFiles : [];
    const files = [
      ...(run.info.id === 'lifecycle.initialize-within-deadline' ? probeFiles : []),
      ...own,
      ...shared,
    ];
    if (files.length) run.result.files = files;
  }
  report.outputDir = dir;
  writeFileSync(join(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
}
