// The plugin author's path, from the SDK README alone: its install lines with plain npm in an empty
// directory (our packages from their tarballs, arktype at another patch than the SDK is built with), its
// plugin copied out of the README verbatim, and its runner command.
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { npmInstall, otherArktypePatch, routerdSources, sh } from '../lib/consumer.mjs';
import { followSdkQuickstart, runQuickstartRunner, sdkQuickstart } from '../lib/sdk-readme.mjs';
import { rootDevVersion } from '../lib/workspace.mjs';

const { installs, runner } = sdkQuickstart();
const tarballs = new Map(Object.entries(inject('tarballs')));
const dir = join(inject('workDir'), 'sdk-consumer');
let arktype: { built: string; other: string };

/** `npm query` in the consumer: every installed copy of a package, with its version and path. */
async function copiesOf(name: string): Promise<{ version: string; location: string }[]> {
  const { stdout } = await sh(dir, 'npm', ['query', `#${name}`]);
  return JSON.parse(stdout);
}

/** The README plugin, run as a real child by the installed SDK's test host with this config. */
async function runReadmePlugin(config: unknown): Promise<{ names?: string[]; error?: string }> {
  const { stdout } = await sh(dir, process.execPath, ['run-readme-plugin.mjs', JSON.stringify(config)]);
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

beforeAll(async () => {
  arktype = await otherArktypePatch();
  await followSdkQuickstart(dir, tarballs, { arktype: arktype.other });
  copyFileSync(
    fileURLToPath(new URL('../fixtures/run-readme-plugin.mjs', import.meta.url)),
    join(dir, 'run-readme-plugin.mjs'),
  );
});

describe('the SDK README, followed with plain npm', () => {
  it('installs the SDK, arktype and the runner package, ours from the tarballs and nothing of ours from the registry', async () => {
    const named = installs.flat().filter((a: string) => !a.startsWith('-'));
    expect(named).toEqual(expect.arrayContaining(['@routerd/plugin-sdk', 'arktype', '@routerd/conformance']));
    const sources = routerdSources(dir);
    expect(sources.map((s) => s.path).sort()).toEqual([
      'node_modules/@routerd/conformance',
      'node_modules/@routerd/plugin-sdk',
    ]);
    for (const s of sources) expect(s.resolved, s.path).toMatch(/^file:/);
  });

  it('needs no native build: nothing installs better-sqlite3', async () => {
    expect(await copiesOf('better-sqlite3')).toEqual([]);
  });

  it("leaves one arktype, the consumer's own patch release, which the SDK uses", async () => {
    const copies = await copiesOf('arktype');
    expect(copies.map((c) => `${c.location}@${c.version}`)).toEqual([
      `node_modules/arktype@${arktype.other}`,
    ]);
  });

  it("runs the README's runner command, and the README plugin passes it", async () => {
    expect(runner, 'the README names `npx routerd-plugin test ...`').toBeDefined();
    const { stdout } = await runQuickstartRunner(dir, runner);
    expect(stdout).toMatch(/hello-claims/);
  });

  it('started by hand, the plugin explains itself and exits 1', async () => {
    const err = await sh(dir, './plugin.mjs', [], { timeout: 30_000 }).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stderr).toMatch(/routerd/);
  });

  it('takes a valid config and refuses an invalid one at initialize, naming the field', async () => {
    expect(await runReadmePlugin({ domain: 'lan' })).toEqual({ names: ['onprem-10-88-60-9'] });
    expect(await runReadmePlugin({ domain: 'elsewhere' })).toEqual({ names: [] });
    const refused = await runReadmePlugin({ domain: 42 });
    expect(refused.error).toMatch(/\/config\/domain/);
  });
});

describe('the README plugin type-checks against the installed SDK and arktype', () => {
  beforeAll(async () => {
    await npmInstall(
      dir,
      ['-D', `typescript@${rootDevVersion('typescript')}`, `@types/node@${rootDevVersion('@types/node')}`],
      tarballs,
    );
  });

  it.each([
    ['node16', 'node16'],
    ['nodenext', 'nodenext'],
    ['bundler', 'esnext'],
  ])('with moduleResolution %s', async (moduleResolution, module) => {
    const tsconfig = `tsconfig.${moduleResolution}.json`;
    const compilerOptions = {
      module,
      moduleResolution,
      target: 'es2022',
      strict: true,
      noEmit: true,
      allowJs: true,
      checkJs: true,
      skipLibCheck: false,
      types: ['node'],
    };
    writeFileSync(join(dir, tsconfig), JSON.stringify({ compilerOptions, files: ['plugin.mjs'] }, null, 2));
    await sh(dir, 'npx', ['--no', '--', 'tsc', '-p', tsconfig]);
  });
});
