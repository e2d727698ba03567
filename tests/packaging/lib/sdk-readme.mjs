// The SDK README's "A complete plugin", done as a new plugin author does it: its install lines with plain
// npm in an empty directory (our packages from their tarballs), its plugin.mjs copied out verbatim, and its
// runner command. Shared by the packaging test and bench/npm-path.bench.mjs.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { emptyProject, npmInstall, sh } from './consumer.mjs';
import { fileBlock, npmInstalls, section, shellCommands } from './readme.mjs';
import { repoRoot } from './workspace.mjs';

export function sdkQuickstart() {
  const readme = readFileSync(join(repoRoot, 'packages/plugin-sdk/README.md'), 'utf8');
  const tokens = section(readme, 'A complete plugin');
  const commands = shellCommands(tokens);
  return {
    commands,
    installs: npmInstalls(commands),
    plugin: fileBlock(tokens, 'plugin.mjs'),
    /** `npx routerd-plugin test ./plugin.mjs`, as the README writes it. */
    runner: commands.find((c) => c.startsWith('npx routerd-plugin test')),
  };
}

/**
 * Makes `dir` an empty project and follows the README's install lines and plugin.mjs.
 * @param {string} dir
 * @param {Map<string, string>} tarballs
 * @param {{ arktype?: string }} [options] the arktype version to install where the README says `arktype`
 */
export async function followSdkQuickstart(dir, tarballs, { arktype } = {}) {
  const quickstart = sdkQuickstart();
  emptyProject(dir);
  for (const args of quickstart.installs) {
    await npmInstall(
      dir,
      args.map((a) => (a === 'arktype' && arktype ? `arktype@${arktype}` : a)),
      tarballs,
    );
  }
  writeFileSync(join(dir, 'plugin.mjs'), quickstart.plugin);
  chmodSync(join(dir, 'plugin.mjs'), 0o755);
  return quickstart;
}

/** The README's runner command in `dir`; `--no`: the bin must be installed, npx must never fetch the name. */
export function runQuickstartRunner(dir, runner) {
  if (!runner) throw new Error('the SDK README names no `npx routerd-plugin test ...` command');
  const [, ...args] = runner.split(/\s+/);
  return sh(dir, 'npx', ['--no', '--', ...args]);
}
