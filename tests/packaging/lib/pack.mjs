// Packs every published package as it would be published: with pnpm, which runs each package's prepack
// (LICENSE, the SDK's copy of docs/protocol.md) and rewrites `workspace:` ranges to real versions.
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pnpmSpec, publishedPackages } from './workspace.mjs';

const run = promisify(execFile);

/**
 * @param {string} dest a directory for the tarballs
 * @returns {Promise<Map<string, string>>} package name → tarball path
 */
export async function packAll(dest) {
  const packages = publishedPackages();
  const tarballs = new Map();
  // Two at a time: each pack is mostly npx and pnpm start-up on a 2-core machine.
  const queue = [...packages];
  const worker = async () => {
    for (let p = queue.shift(); p; p = queue.shift()) {
      // One directory per package: the tarball is the only file in it, whatever the lifecycle scripts print.
      const out = join(dest, p.name.replace('/', '__'));
      mkdirSync(out, { recursive: true });
      await run('npx', ['-y', pnpmSpec, 'pack', '--pack-destination', out], { cwd: p.dir });
      const [file, ...more] = readdirSync(out).filter((f) => f.endsWith('.tgz'));
      if (!file || more.length)
        throw new Error(`packing ${p.name} left ${more.length + (file ? 1 : 0)} tarballs`);
      tarballs.set(p.name, join(out, file));
    }
  };
  await Promise.all([worker(), worker()]);
  return tarballs;
}
