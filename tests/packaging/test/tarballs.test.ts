// Each tarball as the registry would get it: publint and are-the-types-wrong find nothing, it carries the
// LICENSE and the metadata a first publish needs, no `workspace:` range, and README links that work on npm.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { unpack } from '@publint/pack';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { entryPointsOf } from '../lib/entry-points.mjs';
import { links } from '../lib/readme.mjs';
import { publishedPackages, repoRoot } from '../lib/workspace.mjs';

const run = promisify(execFile);
const attw = fileURLToPath(new URL('../node_modules/.bin/attw', import.meta.url));
const tarballs = inject('tarballs');
const packages = publishedPackages();
const repository = 'https://github.com/routerd/routerd-federation';
const rootLicense = join(repoRoot, 'LICENSE');
const license = existsSync(rootLicense) ? readFileSync(rootLicense, 'utf8') : '(no LICENSE at the root)';

/** A tarball's files by path inside the package ("dist/index.js"), as text. */
const contents = new Map<string, Map<string, string>>();

beforeAll(async () => {
  for (const [name, tarball] of Object.entries(tarballs)) {
    const { files, rootDir } = await unpack(readFileSync(tarball));
    const decoder = new TextDecoder();
    contents.set(name, new Map(files.map((f) => [f.name.slice(rootDir.length + 1), decoder.decode(f.data)])));
  }
});

/**
 * What a plugin author installs beside their own arktype (SDK README): there arktype is a peer, so their
 * schemas and these packages share one copy. The daemon and plugins ship as applications too (`pnpm deploy
 * --prod`, which drops a peer that only a dev dependency satisfies) and take it as a dependency range.
 */
const authorPath = new Set(['@routerd/plugin-sdk', '@routerd/conformance']);
const file = (name: string, path: string) => contents.get(name)!.get(path);
const manifestOf = (name: string) => JSON.parse(file(name, 'package.json')!);

it('every published package is packed', () => {
  expect(Object.keys(tarballs).sort()).toEqual(packages.map((p) => p.name));
});

describe.each(packages.map((p) => [p.name, p] as const))('%s', (name, pkg) => {
  it('passes publint', async () => {
    const buffer = readFileSync(tarballs[name]!);
    const tarball = buffer.buffer.slice(
      buffer.byteOffset,
      buffer.byteOffset + buffer.byteLength,
    ) as ArrayBuffer;
    const { messages, pkg: manifest } = await publint({ pack: { tarball }, level: 'warning', strict: true });
    expect(messages.map((m) => `${m.type}: ${formatMessage(m, manifest)}`)).toEqual([]);
  });

  it('passes are-the-types-wrong (ESM only), wildcard subpaths included', async () => {
    const manifest = manifestOf(name);
    const listed = [...contents.get(name)!.keys()];
    const list = (dir: string) =>
      listed.filter((p) => posix.dirname(`./${p}`) === dir).map((p) => posix.basename(p));
    const wildcard = entryPointsOf(manifest, list)
      .filter((s) => s !== name)
      .map((s) => `.${s.slice(name.length)}`)
      .filter((sub) => !Object.hasOwn(manifest.exports ?? {}, sub));
    const args = [tarballs[name]!, '--profile', 'esm-only', '--format', 'ascii'];
    if (wildcard.length) args.push('--include-entrypoints', ...wildcard);
    // A package of bins only has no entry point to resolve: nothing for attw to check.
    if (!manifest.exports && !manifest.main && !manifest.types) return;
    const result = await run(attw, args).catch((e) => e);
    expect(result.code ?? 0, `${result.stdout}\n${result.stderr}`).toBe(0);
  });

  it('ships the LICENSE (the root one) and lists it in files', () => {
    expect(file(name, 'LICENSE')).toBe(license);
    expect(manifestOf(name).files).toContain('LICENSE');
  });

  it('carries what a first publish and the npm page need', () => {
    const m = manifestOf(name);
    const directory = posix.relative(repoRoot, pkg.dir);
    expect(m.license).toBe('Apache-2.0');
    expect(m.repository).toEqual({ type: 'git', url: `git+${repository}.git`, directory });
    expect(m.homepage).toBe(`${repository}/tree/main/${directory}#readme`);
    expect(m.bugs).toEqual({ url: `${repository}/issues` });
    expect(m.keywords).toEqual(expect.arrayContaining(['routerd']));
    expect(m.publishConfig).toEqual(expect.objectContaining({ access: 'public' }));
  });

  it('has no workspace: range left', () => {
    expect(file(name, 'package.json')).not.toMatch(/"workspace:/);
  });

  it('takes arktype from a range where its types hand arktype types across its API: a peer on the plugin author path', () => {
    const m = manifestOf(name);
    const declarations = [...contents.get(name)!].filter(([p]) => /\.d\.m?ts$/.test(p));
    const handsArktype = declarations.some(([, text]) => /from ['"]arktype(\/[^'"]*)?['"]/.test(text));
    if (!handsArktype) return;
    const range = m.peerDependencies?.arktype ?? m.dependencies?.arktype;
    expect(range, 'an exact pin installs a second copy beside any other arktype').toMatch(/^[~^>]/);
    if (authorPath.has(name)) {
      expect(m.dependencies?.arktype, "a dependency would not take the author's own arktype").toBeUndefined();
      expect(m.peerDependencies?.arktype).toBe(range);
    }
  });

  it('says in its README that it is ESM-only, and every README link works from npm', () => {
    const readme = file(name, 'README.md');
    expect(readme).toBeDefined();
    expect(readme).toMatch(/ESM[- ]only/);
    for (const href of links(readme!)) {
      if (/^(https?:|mailto:|#)/.test(href)) continue;
      // A relative link is read against the package on npm: its target must be in the tarball.
      const target = posix.normalize(href.split('#')[0]!);
      expect(
        contents.get(name)!.has(target),
        `${name} README links to ${href}, which is not in the package`,
      ).toBe(true);
    }
  });
});

it("the SDK ships the protocol, docs/protocol.md, as the repository's one source says it", () => {
  expect(file('@routerd/plugin-sdk', 'docs/protocol.md')).toBe(
    readFileSync(join(repoRoot, 'docs/protocol.md'), 'utf8'),
  );
});
