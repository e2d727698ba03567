#!/usr/bin/env node
// `pnpm release:tarball`: one self-contained release of routerd for this OS, CPU and Node major —
// the daemon, the CLI and the first-party plugins, each with its production node_modules (`pnpm deploy
// --prod`: the workspace packages copied in, not linked), plus deploy/ (install.sh, the units) and the
// examples. Unpack it anywhere and run ./install.sh (DESTDIR and PREFIX honoured).
//
//   node scripts/release-tarball.mjs [--no-build] [--out DIR]
//
// better-sqlite3 is native: the tarball runs only on the platform, CPU and Node ABI it was made on,
// which its name and RELEASE file say (install.sh refuses another Node ABI).
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PNPM = ['-y', 'pnpm@12.4.2'];

/** What goes in, and where under lib/ install.sh expects it. */
const PACKAGES = [
  { name: '@routerd/host', dir: 'host' },
  { name: '@routerd/cli', dir: 'cli' },
  { name: '@routerd/plugin-arp-observer', dir: 'plugins/arp-observer' },
  { name: '@routerd/plugin-aws', dir: 'plugins/aws' },
  { name: '@routerd/plugin-azure', dir: 'plugins/azure' },
  { name: '@routerd/plugin-oci', dir: 'plugins/oci' },
];

/**
 * The native build's intermediate files (object files, the static SQLite library, a test extension):
 * better-sqlite3 loads only build/Release/better_sqlite3.node. About 14 MiB per copy.
 */
const NATIVE_BUILD_LEFTOVERS = [
  'build/Release/obj',
  'build/Release/obj.target',
  'build/Release/.deps',
  'build/Release/sqlite3.a',
  'build/Release/test_extension.node',
  'build/deps',
  'deps',
  'src',
];

const { values } = parseArgs({
  options: { 'no-build': { type: 'boolean' }, out: { type: 'string' } },
});
const outDir = resolve(values.out ?? join(ROOT, 'dist', 'release'));

const run = (cmd, args, opts = {}) =>
  execFileSync(cmd, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], ...opts });
const pnpm = (...args) => run('npx', [...PNPM, ...args]);

const version = JSON.parse(readFileSync(join(ROOT, 'packages/host/package.json'), 'utf8')).version;
const nodeMajor = process.versions.node.split('.')[0];
const name = `routerd-${version}-${process.platform}-${process.arch}-node${nodeMajor}`;

if (!values['no-build']) pnpm('-r', '--workspace-concurrency=1', 'build');
for (const p of PACKAGES) {
  const dist = join(ROOT, 'packages', p.dir.replace('plugins/', 'plugins-'), 'dist');
  if (!existsSync(dist)) throw new Error(`${p.name} is not built (${dist} missing): run without --no-build`);
}

const stage = mkdtempSync(join(tmpdir(), 'routerd-release-'));
try {
  const top = join(stage, name);
  for (const p of PACKAGES) {
    const target = join(top, 'lib', p.dir);
    // --prefer-offline: the store already holds every locked package after `pnpm install`.
    pnpm('--filter', p.name, 'deploy', '--prod', '--prefer-offline', target);
    for (const sqlite of findPackageDirs(join(target, 'node_modules', '.pnpm'), 'better-sqlite3'))
      for (const leftover of NATIVE_BUILD_LEFTOVERS)
        rmSync(join(sqlite, leftover), { recursive: true, force: true });
  }
  cpSync(join(ROOT, 'deploy'), join(top, 'deploy'), { recursive: true });
  cpSync(join(ROOT, 'deploy', 'install.sh'), join(top, 'install.sh'));
  mkdirSync(join(top, 'examples'));
  for (const f of readdirSync(join(ROOT, 'examples')))
    cpSync(join(ROOT, 'examples', f), join(top, 'examples', f));
  writeFileSync(
    join(top, 'RELEASE'),
    [
      `version=${version}`,
      `platform=${process.platform}`,
      `arch=${process.arch}`,
      `node=${process.versions.node}`,
      // better-sqlite3's binary loads only into a Node with this module ABI.
      `node_abi=${process.versions.modules}`,
      '',
    ].join('\n'),
  );
  mkdirSync(outDir, { recursive: true });
  const tarball = join(outDir, `${name}.tar.gz`);
  run('tar', [...ownedByRoot(), '-czf', tarball, '-C', stage, name]);
  process.stdout.write(`${tarball}\n`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}

/** node_modules/.pnpm/<name>@<version>/node_modules/<name> for every copy of a package. */
function findPackageDirs(virtualStore, pkg) {
  if (!existsSync(virtualStore)) return [];
  return readdirSync(virtualStore)
    .filter((d) => d.startsWith(`${pkg}@`))
    .map((d) => join(virtualStore, d, 'node_modules', pkg));
}

/** Files in the tarball belong to root, whoever made it: installed as root, they must not be writable by another user. */
function ownedByRoot() {
  const gnu = execFileSync('tar', ['--version'], { encoding: 'utf8' }).includes('GNU tar');
  return gnu ? ['--owner=0', '--group=0', '--numeric-owner'] : ['--uid', '0', '--gid', '0'];
}
