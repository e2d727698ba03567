// Every package installed together with plain npm into one empty directory, as a TypeScript user gets
// them: each public entry point type-checks, and routerctl answers --help.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { emptyProject, npmInstall, routerdSources, sh } from '../lib/consumer.mjs';
import { entryPoints } from '../lib/entry-points.mjs';
import { rootDevVersion } from '../lib/workspace.mjs';

const tarballs = new Map(Object.entries(inject('tarballs')));
const dir = join(inject('workDir'), 'all-packages');

beforeAll(async () => {
  emptyProject(dir);
  // --ignore-scripts: types and --help need no native module, and better-sqlite3's compile (minutes on a
  // loaded 2-core machine) happens once, in daemon.test.ts, where the daemon needs it.
  await npmInstall(
    dir,
    [
      '--ignore-scripts',
      ...tarballs.keys(),
      `typescript@${rootDevVersion('typescript')}`,
      `@types/node@${rootDevVersion('@types/node')}`,
    ],
    tarballs,
  );
});

it('takes every package of ours from its tarball', () => {
  const sources = routerdSources(dir);
  expect(sources.map((s) => s.path.replace(/^.*node_modules\//, '')).sort()).toEqual(
    [...tarballs.keys()].sort(),
  );
  for (const s of sources) expect(s.resolved, s.path).toMatch(/^file:/);
});

describe('a TypeScript consumer importing every public entry point of every package', () => {
  const specifiers = () =>
    [...tarballs.keys()].flatMap((name) => entryPoints(join(dir, 'node_modules', name)));

  it('finds the entry points', () => {
    expect(specifiers()).toEqual(
      expect.arrayContaining([
        '@routerd/plugin-sdk',
        '@routerd/plugin-sdk/server',
        '@routerd/host',
        '@routerd/plugin-aws',
      ]),
    );
  });

  it.each([
    ['node16', 'node16'],
    ['bundler', 'esnext'],
  ])('type-checks with moduleResolution %s', async (moduleResolution, module) => {
    const all = specifiers();
    const source = [
      ...all.map((s, i) => `import * as m${i} from '${s}';`),
      `export const modules = [${all.map((_, i) => `m${i}`).join(', ')}];`,
      '',
    ].join('\n');
    writeFileSync(join(dir, 'consumer.ts'), source);
    const compilerOptions = {
      module,
      moduleResolution,
      target: 'es2022',
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      types: ['node'],
    };
    const tsconfig = `tsconfig.${moduleResolution}.json`;
    writeFileSync(join(dir, tsconfig), JSON.stringify({ compilerOptions, files: ['consumer.ts'] }, null, 2));
    await sh(dir, 'npx', ['--no', '--', 'tsc', '-p', tsconfig]);
  });
});

it('routerctl --help answers from the installed @routerd/cli', async () => {
  const { stdout } = await sh(dir, 'npx', ['--no', '--', 'routerctl', '--help']);
  expect(stdout).toMatch(/routerctl/);
});
