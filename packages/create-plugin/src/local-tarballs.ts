// --routerd-tarballs DIR, for this repository's own tests and bench only: from a work tree the @routerd
// packages are not on the registry, so every @routerd dependency of the project is pointed at its
// tarball in DIR (packed with `pnpm pack`), and an override makes the @routerd packages' dependencies on
// each other resolve to the same tarballs.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from './errors.js';
import type { ProjectManifest } from './manifest.js';
import { scaffoldBase } from './scaffold-base.js';

/** The file name `pnpm pack` gives a package: @routerd/plugin-sdk@0.1.0 → routerd-plugin-sdk-0.1.0.tgz. */
export const tarballName = (name: string, version: string) =>
  `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`;

export function pointAtTarballs(manifest: ProjectManifest, dir: string): ProjectManifest {
  const versions = new Map([scaffoldBase.sdk, scaffoldBase.conformance].map((p) => [p.name, p.version]));
  const overrides: Record<string, string> = {};
  const point = (deps: Record<string, string>) =>
    Object.fromEntries(
      Object.entries(deps).map(([name, range]) => {
        const version = versions.get(name);
        if (!version) return [name, range];
        const file = resolve(dir, tarballName(name, version));
        if (!existsSync(file)) {
          throw new UsageError(`--routerd-tarballs: ${file} does not exist: pack ${name} into ${dir} first`);
        }
        overrides[name] = `file:${file}`;
        return [name, `file:${file}`];
      }),
    );
  const dependencies = point(manifest.dependencies);
  const devDependencies = point(manifest.devDependencies);
  return { ...manifest, dependencies, devDependencies, overrides };
}
