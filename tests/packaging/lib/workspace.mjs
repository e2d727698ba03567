// The workspace as the packaging checks see it: where it is, which pnpm it pins, and which of its packages
// are published (every package not marked private).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

const rootManifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));

/** `pnpm@<version>` from the root's packageManager field, as `npx -y` takes it. */
export const pnpmSpec = rootManifest.packageManager.split('+')[0];

/** A dev tool's version as the workspace root pins it (typescript, @types/node), for a consumer's `npm i`. */
export function rootDevVersion(name) {
  const v = rootManifest.devDependencies?.[name];
  if (!v) throw new Error(`the root package.json has no devDependency ${name}`);
  return v;
}

/**
 * @typedef {{ name: string, version: string, dir: string, manifest: Record<string, any> }} WorkspacePackage
 * @returns {WorkspacePackage[]} every package of the workspace that is published, by name
 */
export function publishedPackages() {
  const listed = JSON.parse(
    execFileSync('npx', ['-y', pnpmSpec, 'ls', '-r', '--json', '--depth', '-1'], {
      cwd: repoRoot,
      encoding: 'utf8',
    }),
  );
  return listed
    .map((p) => ({ dir: p.path, manifest: JSON.parse(readFileSync(`${p.path}/package.json`, 'utf8')) }))
    .filter((p) => p.manifest.private !== true)
    .map((p) => ({ name: p.manifest.name, version: p.manifest.version, ...p }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The named packages and every package of ours they depend on, transitively: what a user's `npm i` of
 * those names pulls in, so a consumer is handed each of them as a tarball (never fetched from the registry).
 * @param {string[]} names
 * @returns {string[]} sorted
 */
export function withOurDependencies(names) {
  const byName = new Map(publishedPackages().map((p) => [p.name, p.manifest]));
  const found = new Set();
  const visit = (name) => {
    if (found.has(name)) return;
    const manifest = byName.get(name);
    if (!manifest) throw new Error(`${name} is not a published package of this workspace`);
    found.add(name);
    for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies }))
      if (byName.has(dep)) visit(dep);
  };
  for (const n of names) visit(n);
  return [...found].sort();
}
