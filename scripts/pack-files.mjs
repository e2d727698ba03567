#!/usr/bin/env node
// A package's prepack: copies the repository's LICENSE, and any repository file named on the command line
// (`docs/protocol.md`), into the package directory so that its tarball carries them. The repository keeps one
// source of each; the copies are git-ignored and rewritten at every pack.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
for (const file of ['LICENSE', ...process.argv.slice(2)]) {
  const target = join(process.cwd(), file);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(join(repoRoot, file), target);
}
