import { spawnSync } from 'node:child_process';
import { commandLine, installCommand, type PackageManager } from './package-manager.js';

/** Runs the package manager's install in dir, its output on ours; a failure says what to run by hand. */
export function install(
  dir: string,
  shownDir: string,
  pm: PackageManager,
): { ok: true } | { ok: false; why: string } {
  const cmd = installCommand(pm);
  const run = spawnSync(cmd.command, cmd.args, { cwd: dir, stdio: 'inherit' });
  if (run.status === 0) return { ok: true };
  const what =
    (run.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
      ? `${cmd.command} is not on PATH`
      : run.error
        ? run.error.message
        : `${commandLine(cmd)} exited with ${run.status ?? run.signal}`;
  return {
    ok: false,
    why: `${what}: the files are written; run \`${commandLine(cmd)}\` in ${shownDir} yourself`,
  };
}
