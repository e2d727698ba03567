// Shared by the end-to-end test and bench/create-plugin.bench.mjs: the packages `npm create
// @routerd/plugin` needs, packed with pnpm (which turns workspace: ranges into versions) as they would be
// published, and a plain-npm environment to use them in.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = fileURLToPath(new URL('../../../../', import.meta.url));
export const PACKED = ['packages/create-plugin', 'packages/plugin-sdk', 'conformance'];
export const CREATE_TARBALL = 'routerd-create-plugin-0.1.0.tgz';

/** What a user's shell has: none of the npm_* variables of a pnpm run around us. */
export const userEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|pnpm_)/i.test(k))),
  NO_COLOR: '1',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
};

/** Runs a command in userEnv; never throws. */
export function run(command, args, cwd) {
  const r = spawnSync(command, args, { cwd, env: userEnv, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, output: `${r.stdout}\n${r.stderr}` };
}

/** Runs and expects exit 0, with the output in the error when not. */
export function ok(command, args, cwd) {
  const r = run(command, args, cwd);
  if (r.status !== 0)
    throw new Error(`${command} ${args.join(' ')} exited ${r.status} in ${cwd}:\n${r.output}`);
  return r;
}

/** The files a package's bin and exports name under dist/: a tarball without them is a broken package. */
function builtFiles(dir) {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const targets = (v) =>
    typeof v === 'string' ? [v] : v && typeof v === 'object' ? Object.values(v).flatMap(targets) : [];
  return [...targets(manifest.bin), ...targets(manifest.exports)].filter((f) => f.startsWith('./dist/'));
}

/** Packs PACKED into destination; refuses a package whose build is missing (or half written). */
export function packTarballs(destination) {
  for (const dir of PACKED) {
    const missing = builtFiles(join(repo, dir)).filter((f) => !existsSync(join(repo, dir, f)));
    if (missing.length > 0) {
      throw new Error(`${dir} is not built (no ${missing.join(', ')}): pnpm --filter ./${dir} build`);
    }
    ok('npx', ['-y', 'pnpm@12.4.2', 'pack', '--pack-destination', destination], join(repo, dir));
  }
}

/** `npm create` from the packed tarball, in cwd: create-plugin ARGS --routerd-tarballs TARBALLS. */
export const npmCreate = (tarballs, cwd, args) =>
  run(
    'npm',
    [
      'exec',
      '--yes',
      '--package',
      join(tarballs, CREATE_TARBALL),
      '--',
      'create-plugin',
      ...args,
      '--routerd-tarballs',
      tarballs,
    ],
    cwd,
  );
