import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../src/errors.js';
import type { CreateOptions } from '../src/options.js';
import { projectFiles, scaffold } from '../src/scaffold.js';
import { TEMPLATE_NAMES } from '../src/templates.js';

const tmp = mkdtempSync(join(tmpdir(), 'create-plugin-unit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const options = (o: Partial<CreateOptions> = {}): CreateOptions => ({
  dir: join(tmp, 'my-plugin'),
  shownDir: 'my-plugin',
  name: 'my-plugin',
  template: 'proposer',
  capabilities: ['propose.dynamicConfig'],
  install: false,
  packageManager: 'npm',
  ...o,
});

const sdkManifest = JSON.parse(
  readFileSync(new URL('../node_modules/@routerd/plugin-sdk/package.json', import.meta.url), 'utf8'),
);

describe('the project', () => {
  it.each(TEMPLATE_NAMES)('%s: every placeholder is filled and the example resources parse', (template) => {
    const capability = template === 'observer' ? 'observe.events' : 'propose.dynamicConfig';
    const files = projectFiles(options({ template, name: '@acme/my-plugin', capabilities: [capability] }));
    for (const [file, content] of files) expect(content, file).not.toMatch(/\{\{|\{ \{/);
    const docs = files
      .get('routerd.example.yaml')!
      .split(/^---$/m)
      .map((d) => parseYaml(d));
    expect(docs[0]).toMatchObject({
      kind: 'Plugin',
      metadata: { name: 'my-plugin' },
      spec: { executable: '/usr/local/bin/my-plugin', capabilities: [capability] },
    });
    expect(files.get('README.md')).toContain(files.get('routerd.example.yaml'));
    expect(files.get('src/plugin.ts')).toContain(`capabilities: ['${capability}']`);
  });

  it('depends on the SDK and arktype with the ranges the SDK declares, and on its build tools', () => {
    const manifest = JSON.parse(projectFiles(options()).get('package.json')!);
    expect(manifest.dependencies).toEqual({
      '@routerd/plugin-sdk': `^${sdkManifest.version}`,
      arktype: sdkManifest.peerDependencies?.arktype ?? sdkManifest.dependencies.arktype,
    });
    for (const tool of ['tsup', 'typescript', 'vitest', '@types/node']) {
      expect(manifest.devDependencies[tool], tool).toBe(sdkManifest.devDependencies[tool]);
    }
    expect(manifest.engines).toEqual(sdkManifest.engines);
    expect(manifest.scripts.conformance).toBe(
      'routerd-plugin test ./dist/main.js --grant propose.dynamicConfig',
    );
  });

  it('points every @routerd dependency at local tarballs only when asked', () => {
    const dir = join(tmp, 'tarballs');
    mkdirSync(dir);
    expect(() => projectFiles(options({ routerdTarballs: dir }))).toThrow(UsageError);
    for (const f of ['routerd-plugin-sdk-0.1.0.tgz', 'routerd-conformance-0.1.0.tgz'])
      writeFileSync(join(dir, f), '');
    const manifest = JSON.parse(projectFiles(options({ routerdTarballs: dir })).get('package.json')!);
    const sdk = `file:${join(dir, 'routerd-plugin-sdk-0.1.0.tgz')}`;
    expect(manifest.dependencies['@routerd/plugin-sdk']).toBe(sdk);
    expect(manifest.overrides['@routerd/plugin-sdk']).toBe(sdk);
  });

  it('refuses a directory that holds anything, and writes nothing there', () => {
    const dir = join(tmp, 'taken');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    expect(() => scaffold(options({ dir, shownDir: 'taken' }))).toThrow(
      'taken is not empty (notes.txt): choose a new directory name, or move its 1 entry away',
    );
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('writes into a new or an empty directory', () => {
    const dir = join(tmp, 'empty');
    mkdirSync(dir);
    expect(scaffold(options({ dir }))).toContain('.gitignore');
    expect(readFileSync(join(dir, 'src', 'main.ts'), 'utf8')).toContain('serveStdio(plugin)');
  });
});
