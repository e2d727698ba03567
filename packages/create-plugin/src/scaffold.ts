// Writes the project: the common files and the template's, filled in, and its package.json.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pointAtTarballs, tarballName } from './local-tarballs.js';
import { PROJECT_VERSION, projectManifest } from './manifest.js';
import { eventTypePrefix, resourceName, unscopedName } from './names.js';
import type { CreateOptions } from './options.js';
import { commandLine, runCommand } from './package-manager.js';
import { render, type TemplateValues } from './render.js';
import { scaffoldBase } from './scaffold-base.js';
import { checkTargetDir } from './target-dir.js';
import { TEMPLATES, templatesDir } from './templates.js';

// Stored under other names in this package: npm leaves .gitignore out of a tarball, and routerd.yaml
// is an example for the README, not a config of the project.
const RENAMED: Record<string, string> = { gitignore: '.gitignore', 'routerd.yaml': 'routerd.example.yaml' };

/** Every file under dir, as paths relative to it. */
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(join(dir, f)).isFile());

function templateValues(o: CreateOptions): TemplateValues {
  const { summary } = TEMPLATES[o.template];
  const run = (script: string) => commandLine(runCommand(o.packageManager, script));
  const values: TemplateValues = {
    name: o.name,
    binName: unscopedName(o.name),
    resourceName: resourceName(o.name),
    eventPrefix: eventTypePrefix(o.name),
    capabilities: o.capabilities,
    capabilitiesList: o.capabilities.map((c) => `\`${c}\``).join(', '),
    summary,
    node: scaffoldBase.node,
    tarball: tarballName(o.name, PROJECT_VERSION),
    runBuild: run('build'),
    runTest: run('test'),
    runConformance: run('conformance'),
  };
  const example = readFileSync(join(templatesDir, o.template, 'routerd.yaml'), 'utf8');
  return { ...values, routerdExample: render(example, values) };
}

/** The files of the project, path → content, package.json included. */
export function projectFiles(o: CreateOptions): Map<string, string> {
  const values = templateValues(o);
  const files = new Map<string, string>();
  for (const from of ['common', o.template]) {
    const base = join(templatesDir, from);
    for (const file of filesUnder(base)) {
      const target = RENAMED[file] ?? file;
      files.set(target, render(readFileSync(join(base, file), 'utf8'), values));
    }
  }
  let manifest = projectManifest({
    name: o.name,
    description: `A routerd plugin that ${TEMPLATES[o.template].summary}`,
    capabilities: o.capabilities,
  });
  if (o.routerdTarballs) manifest = pointAtTarballs(manifest, o.routerdTarballs);
  files.set('package.json', `${JSON.stringify(manifest, null, 2)}\n`);
  return files;
}

/** Writes the project into o.dir, which must be new or empty. */
export function scaffold(o: CreateOptions): string[] {
  checkTargetDir(o.dir, o.shownDir);
  const files = projectFiles(o);
  for (const [file, content] of files) {
    const path = join(o.dir, file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  return [...files.keys()].sort();
}
