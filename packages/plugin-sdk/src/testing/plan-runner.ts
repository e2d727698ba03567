import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { classifyStepOutcome, resolveArgv, type StepOutcome } from '../domain/outcomes.js';
import { cliStep } from '../domain/steps.js';
import type { ActionPlan, PlanStep } from '../protocol/schemas/resources.js';

export interface StepRun {
  id: string;
  tool: string;
  /** The argv as spawned, step output references resolved. */
  argv: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
  outcome: StepOutcome;
}

export interface PlanStepsRun {
  /** `completed` when every step succeeded; else the outcome of the step that stopped the run. */
  outcome: 'completed' | Exclude<StepOutcome, 'succeeded'>;
  steps: StepRun[];
  /** Why a step could not be started (its argv could not be resolved): the run is then `failed`. */
  error?: string;
}

export interface RunPlanStepsOptions {
  /** A directory put first on PATH: where fake CLIs (`aws`, `az`, `oci`) live in tests. */
  binDir: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

function runOnce(tool: string, argv: string[], opts: RunPlanStepsOptions) {
  return new Promise<{ exitCode: number; stdout: string; stderr: string }>((resolve, reject) => {
    // No shell: the tool is looked up on PATH and every argv element reaches it as one argument.
    const child = spawn(tool, argv, {
      shell: false,
      env: { PATH: `${opts.binDir}${delimiter}${process.env.PATH ?? ''}`, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? 10_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ exitCode: code ?? -1, stdout, stderr }));
  });
}

/**
 * Run a plan's steps the way an executor would — in order, without a shell, argv as given, each later
 * step able to use an earlier step's stdout — and classify every exit by the step's outcome patterns.
 * Stops at the first step that does not simply succeed. Meant for tests against fake CLIs.
 */
export async function runPlanSteps(
  steps: readonly PlanStep[],
  opts: RunPlanStepsOptions,
): Promise<PlanStepsRun> {
  const outputs = new Map<string, string>();
  const runs: StepRun[] = [];
  for (const step of steps) {
    let argv: string[];
    try {
      argv = resolveArgv(step.argv, outputs);
    } catch (err) {
      // Never run a command with a missing or empty argument: the plan fails at this step.
      return { outcome: 'failed', steps: runs, error: `step "${step.id}": ${(err as Error).message}` };
    }
    const exit = await runOnce(step.tool, argv, opts);
    const outcome = classifyStepOutcome(step, exit);
    runs.push({ id: step.id, tool: step.tool, argv, ...exit, outcome });
    if (outcome !== 'succeeded') return { outcome, steps: runs };
    outputs.set(step.id, exit.stdout);
  }
  return { outcome: 'completed', steps: runs };
}

export interface FakeCliRun extends PlanStepsRun {
  /** What the fake CLI says it received: `[tool, ...argv]` per call, in order. */
  calls: string[][];
}

/**
 * Run steps against fake CLIs that follow the routerd convention: they answer in the state named by
 * `$FAKE_CLI_SCENARIO` and append each argv, as a JSON array `[tool, ...args]`, to `$FAKE_CLI_LOG`.
 */
export async function runPlanStepsWithFakeCli(
  steps: readonly PlanStep[],
  opts: { binDir: string; scenario: string },
): Promise<FakeCliRun> {
  const log = join(mkdtempSync(join(tmpdir(), 'fake-cli-')), 'argv.jsonl');
  const run = await runPlanSteps(steps, {
    binDir: opts.binDir,
    env: { FAKE_CLI_SCENARIO: opts.scenario, FAKE_CLI_LOG: log },
  });
  const text = existsSync(log) ? readFileSync(log, 'utf8').trim() : '';
  rmSync(dirname(log), { recursive: true, force: true });
  return { ...run, calls: text ? text.split('\n').map((l) => JSON.parse(l) as string[]) : [] };
}

/** What a plan did to a fake cloud: its steps' run, its verify command's stdout, the state it left. */
export interface FakeCloudRun<State> {
  run: PlanStepsRun;
  verified: string;
  after: State;
}

/**
 * A plan's steps, then its `verify` command as a read-only step, against fake CLIs that keep a cloud in
 * the JSON file `$FAKE_CLI_STATE` (the routerd convention for fakes whose cloud changes as an executor
 * acts on it): `cloud` is the state written first, `after` the state the steps left.
 */
export async function runPlanInFakeCloud<State>(
  plan: Pick<ActionPlan, 'steps' | 'verify'>,
  opts: { binDir: string; cloud: State },
): Promise<FakeCloudRun<State>> {
  const dir = mkdtempSync(join(tmpdir(), 'fake-cloud-'));
  const env = { FAKE_CLI_STATE: join(dir, 'cloud.json') };
  writeFileSync(env.FAKE_CLI_STATE, JSON.stringify(opts.cloud));
  try {
    const run = await runPlanSteps(plan.steps, { binDir: opts.binDir, env });
    if (!plan.verify) throw new Error('the plan has no verify command');
    const check = await runPlanSteps([cliStep({ id: 'verify', mutating: false, ...plan.verify })], {
      binDir: opts.binDir,
      env,
    });
    return {
      run,
      verified: check.steps[0]!.stdout,
      after: JSON.parse(readFileSync(env.FAKE_CLI_STATE, 'utf8')) as State,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
