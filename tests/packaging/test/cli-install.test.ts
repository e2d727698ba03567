// routerctl as an operator installs it: `npm i @routerd/cli` alone in an empty directory (with the packages of
// ours it needs, from their tarballs). It depends on @routerd/host-wire, never on the host, so nothing in the
// tree is native or a server: no better-sqlite3, no express. And @routerd/host-wire's README example, followed
// as written.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { emptyProject, npmInstall, routerdSources, sh } from '../lib/consumer.mjs';
import { wireReadme } from '../lib/wire-readme.mjs';
import { withOurDependencies } from '../lib/workspace.mjs';

const tarballs = new Map(Object.entries(inject('tarballs')));
const work = inject('workDir');

/** `npm query` in a consumer: every installed copy of a package. */
async function copiesOf(dir: string, name: string): Promise<{ version: string; location: string }[]> {
  const { stdout } = await sh(dir, 'npm', ['query', `#${name}`]);
  return JSON.parse(stdout);
}

describe('npm i @routerd/cli', () => {
  const dir = join(work, 'cli-alone');
  const ours = withOurDependencies(['@routerd/cli']);

  beforeAll(async () => {
    emptyProject(dir);
    // No --ignore-scripts: an operator's install runs them, and a native module would be built here.
    await npmInstall(dir, ours, tarballs);
  });

  it('brings the wire package, the SDK and the conformance runner, never @routerd/host', () => {
    expect(ours).toEqual([
      '@routerd/cli',
      '@routerd/conformance',
      '@routerd/host-wire',
      '@routerd/plugin-sdk',
    ]);
    const sources = routerdSources(dir);
    expect(sources.map((s) => s.path).sort()).toEqual(ours.map((n) => `node_modules/${n}`));
    for (const s of sources) expect(s.resolved, s.path).toMatch(/^file:/);
  });

  it.each(['better-sqlite3', 'express', '@routerd/host'])('installs no %s', async (name) => {
    expect(await copiesOf(dir, name)).toEqual([]);
  });

  it('routerctl --help answers', async () => {
    const { stdout } = await sh(dir, 'npx', ['--no', '--', 'routerctl', '--help']);
    expect(stdout).toMatch(/routerctl federation event emit/);
  });

  it('routerctl keys generate writes the key format the daemon reads (from @routerd/host-wire/keys)', async () => {
    const { stdout } = await sh(dir, 'npx', ['--no', '--', 'routerctl', 'keys', 'generate']);
    expect(stdout.trim()).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
  });

  it('routerctl without a daemon says which socket it tried, and exits 1', async () => {
    const socket = join(dir, 'no-daemon.sock');
    const err = await sh(dir, 'npx', ['--no', '--', 'routerctl', '--socket', socket, 'status']).catch(
      (e) => e,
    );
    expect(err.code).toBe(1);
    expect(err.stderr).toContain(`cannot reach routerd-eventd at ${socket}`);
  });
});

describe("@routerd/host-wire's README example, followed with plain npm", () => {
  const dir = join(work, 'wire-readme');
  const readme = wireReadme();

  beforeAll(async () => {
    emptyProject(dir);
    for (const args of readme.installs) await npmInstall(dir, args, tarballs);
    writeFileSync(join(dir, 'example.mjs'), readme.example);
  });

  it('installs the wire package, the SDK and arktype, ours from the tarballs; nothing native', async () => {
    expect(readme.installs.flat()).toEqual(['@routerd/host-wire', '@routerd/plugin-sdk', 'arktype']);
    for (const s of routerdSources(dir)) expect(s.resolved, s.path).toMatch(/^file:/);
    expect(await copiesOf(dir, 'better-sqlite3')).toEqual([]);
  });

  it('prints what the README says', async () => {
    const { stdout } = await sh(dir, process.execPath, ['example.mjs']);
    expect(stdout).toBe(readme.output);
  });
});
