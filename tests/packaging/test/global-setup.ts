// Packs every published package once for all test files; each file installs the tarballs it needs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { packAll } from '../lib/pack.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A temporary directory for this run: tarballs under packs/, consumers beside them. */
    workDir: string;
    /** Package name → its tarball, packed with pnpm. */
    tarballs: Record<string, string>;
  }
}

export default async function setup(project: TestProject) {
  const workDir = mkdtempSync(join(tmpdir(), 'routerd-packaging-'));
  const tarballs = await packAll(join(workDir, 'packs'));
  project.provide('workDir', workDir);
  project.provide('tarballs', Object.fromEntries(tarballs));
  return () => {
    if (!process.env.KEEP_PACKAGING_DIR) rmSync(workDir, { recursive: true, force: true });
  };
}
