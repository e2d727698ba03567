// `npm create @routerd/plugin` as a plugin author gets it: this package, the SDK and the conformance
// suite packed with pnpm (which turns workspace: ranges into versions), the create bin run from its
// tarball by plain npm in an empty directory, then the new project's own scripts — build, test,
// typecheck, conformance — and the resources its README shows, checked by routerd-eventd.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npmCreate, ok, packTarballs, repo, run } from './lib/packed.mjs';

const routerdEventd = join(repo, 'packages/host/dist/bin/routerd-eventd.js');

const tmp = mkdtempSync(join(tmpdir(), 'create-plugin-e2e-'));
const tarballs = join(tmp, 'tarballs');
const work = join(tmp, 'work');

const create = (...args: string[]) => npmCreate(tarballs, work, args);

/** A config with an EventGroup and the project's example resources, its executable the built one. */
function exampleConfig(project: string, edit = (yaml: string) => yaml) {
  const example = readFileSync(join(project, 'routerd.example.yaml'), 'utf8').replace(
    /executable: .*/,
    `executable: ${join(project, 'dist/main.js')}`,
  );
  const file = join(project, 'federation.yaml');
  writeFileSync(
    file,
    `apiVersion: federation.routerd.net/v1alpha1\nkind: EventGroup\nmetadata:\n  name: edge\nspec:\n  nodeName: cloud-1\n---\n${edit(example)}`,
  );
  return file;
}

/** The project's own scripts, as its README lists them; the conformance report. */
function buildTestConform(project: string) {
  ok('npm', ['run', 'build'], project);
  expect(ok('npm', ['test'], project).stdout).toMatch(/Tests\s+\d+ passed/);
  ok('npm', ['run', 'typecheck'], project);
  const conformance = run('npm', ['run', '--silent', 'conformance', '--', '--format', 'json'], project);
  expect(conformance.status, conformance.output).toBe(0);
  return JSON.parse(conformance.stdout) as {
    summary: { fail: number; pass: number };
    checks: { id: string; status: string }[];
  };
}

beforeAll(() => {
  // The operator's side: routerd-eventd check reads the example resources as a router would.
  if (!existsSync(routerdEventd))
    throw new Error(`${routerdEventd} is missing: pnpm --filter @routerd/host build`);
  mkdirSync(tarballs);
  mkdirSync(work);
  packTarballs(tarballs);
}, 120_000);

// Two projects' node_modules: slow to remove on a busy disk.
afterAll(() => rmSync(tmp, { recursive: true, force: true }), 120_000);

describe('npm create @routerd/plugin, from the packed tarballs', () => {
  it('proposer: installs with npm, builds, tests, passes the conformance suite; routerd-eventd accepts its example', () => {
    const created = create('my-plugin');
    expect(created.status, created.output).toBe(0);
    // npm exec runs it, so npm is the package manager it detects and installs with.
    expect(created.stdout).toContain('Installing its dependencies with npm');
    const project = join(work, 'my-plugin');

    const report = buildTestConform(project);
    expect(report.summary.fail).toBe(0);
    expect(
      report.checks.find((c) => c.id === 'capabilities.propose.dynamicConfig.golden-vectors')?.status,
    ).toBe('pass');

    ok('node', [routerdEventd, 'check', '--config', exampleConfig(project)], project);
    // The config schema the build wrote is the one routerd-eventd found from the executable.
    const typo = run(
      'node',
      [
        routerdEventd,
        'check',
        '--config',
        exampleConfig(project, (y) => y.replace('config: {}', 'config: { domian: lan }')),
      ],
      project,
    );
    expect(typo.status).toBe(1);
    expect(typo.stderr).toContain('/spec/config/domian is not a known field here');
  }, 300_000);

  it('observer, a scoped name: the same out of the box', () => {
    const created = create('load-watch', '--template', 'observer', '--name', '@acme/load-watch');
    expect(created.status, created.output).toBe(0);
    const project = join(work, 'load-watch');
    expect(JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')).bin).toEqual({
      'load-watch': './dist/main.js',
    });

    const report = buildTestConform(project);
    expect(report.summary.fail).toBe(0);
    expect(report.checks.find((c) => c.id === 'capabilities.observe.events.golden-vectors')?.status).toBe(
      'pass',
    );
    ok('node', [routerdEventd, 'check', '--config', exampleConfig(project)], project);
  }, 300_000);

  it('refuses a directory that is not empty, saying what to do', () => {
    mkdirSync(join(work, 'taken'));
    writeFileSync(join(work, 'taken', 'notes.txt'), 'mine');
    const refused = create('taken');
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(
      'create-plugin: taken is not empty (notes.txt): choose a new directory name, or move its 1 entry away',
    );
  }, 60_000);
});
