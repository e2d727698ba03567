// A consumer project as a user makes one: an empty directory, plain npm, the packed tarballs in place of
// registry names (nothing of ours is fetched from the registry; everything else is, as for a user).
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './workspace.mjs';

const run = promisify(execFile);

/**
 * The environment without what pnpm sets for the scripts it runs (npm_config_*, the workspace's
 * node_modules/.bin on PATH, …): npm and npx must act as a user's, finding only the consumer's own bins.
 */
export function userEnv(extra = {}) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(npm_|pnpm_|PNPM_|INIT_CWD$)/i.test(k)),
  );
  const path = (env.PATH ?? '').split(':').filter((d) => !/node_modules[/\\]\.bin|node-gyp-bin/.test(d));
  return { ...env, PATH: path.join(':'), NO_COLOR: '1', ...extra };
}

/** Runs a command in `dir`; rejects with its output when it fails. */
export async function sh(dir, file, args, { env, ...options } = {}) {
  try {
    return await run(file, args, { cwd: dir, env: userEnv(env), maxBuffer: 64 << 20, ...options });
  } catch (err) {
    const e = /** @type {any} */ (err);
    e.message = `${file} ${args.join(' ')} (in ${dir}) failed with ${e.code ?? e.signal}:\n${e.stdout ?? ''}\n${e.stderr ?? ''}`;
    throw e;
  }
}

/** An empty npm project, as `npm init -y && npm pkg set type=module` leaves it. */
export function emptyProject(dir) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`,
  );
  return dir;
}

/**
 * `npm i <specs>`; a spec naming one of our packages (`@routerd/x`; flags such as `-D` kept) is replaced by
 * its tarball. `env` adds to the user's environment (npm_config_* settings).
 */
export function npmInstall(dir, specs, tarballs, env = {}) {
  const resolved = specs.map((s) => tarballs.get(s) ?? s);
  return sh(dir, 'npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...resolved], { env });
}

/** Where each installed @routerd package came from, per the lockfile npm wrote (a file: tarball, or not). */
export function routerdSources(dir) {
  const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'));
  return Object.entries(lock.packages)
    .filter(([path]) => /(^|\/)node_modules\/@routerd\/[^/]+$/.test(path))
    .map(([path, entry]) => ({ path, resolved: String(/** @type {any} */ (entry).resolved ?? '') }));
}

/**
 * An arktype release the SDK accepts (its peer range; its minor where it has none) other than the one it
 * is built and tested with, so a consumer has "another copy" unless the SDK takes the consumer's.
 */
export async function otherArktypePatch() {
  const sdk = JSON.parse(readFileSync(join(repoRoot, 'packages/plugin-sdk/package.json'), 'utf8'));
  const built = sdk.devDependencies?.arktype ?? sdk.dependencies?.arktype;
  const [major, minor] = built.replace(/^[^\d]*/, '').split('.');
  const range = sdk.peerDependencies?.arktype ?? `~${major}.${minor}.0`;
  const { stdout } = await sh(repoRoot, 'npm', ['view', `arktype@${range}`, 'version', '--json']);
  const versions = [JSON.parse(stdout)].flat();
  const other = versions.filter((v) => v !== built && !v.includes('-')).at(-1);
  if (!other) throw new Error(`no arktype release in ${range} other than ${built} on the registry`);
  return { built, other };
}
