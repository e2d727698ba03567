import { spawn } from 'node:child_process';

export interface ArgvExit {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Output kept per stream while a tool runs: enough for any answer a plan reads, bounded against a runaway tool. */
const MAX_OUTPUT_BYTES = 1024 * 1024;

/**
 * Run `path argv…` without a shell (every element is one argument, nothing is interpreted), with exactly
 * `env`, killed after `timeoutMs`. A tool that cannot start reads as exit 127 with the reason on stderr.
 */
export function runArgv(
  path: string,
  argv: readonly string[],
  env: Record<string, string>,
  timeoutMs: number,
  /** Aborted when the daemon stops: the tool is killed, and the caller leaves the step to recovery. */
  signal?: AbortSignal,
): Promise<ArgvExit> {
  return new Promise((resolve) => {
    const child = spawn(path, argv, {
      shell: false,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
      ...(signal ? { signal } : {}),
    });
    const out = { stdout: '', stderr: '' };
    const keep = (k: 'stdout' | 'stderr') => (d: string) => {
      out[k] = (out[k] + d).slice(-MAX_OUTPUT_BYTES);
    };
    child.stdout.setEncoding('utf8').on('data', keep('stdout'));
    child.stderr.setEncoding('utf8').on('data', keep('stderr'));
    let spawnError: Error | undefined;
    child.on('error', (err) => {
      spawnError = err;
    });
    child.on('close', (code, signal) => {
      const timedOut = signal === 'SIGKILL' && code === null;
      if (spawnError && code === null && !timedOut)
        return resolve({
          exitCode: 127,
          stdout: '',
          stderr: `cannot run ${path}: ${spawnError.message}`,
          timedOut,
        });
      resolve({ exitCode: code ?? -1, ...out, timedOut });
    });
  });
}
