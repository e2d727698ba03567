// The command line, parsed with node:util parseArgs (no prompts: every choice is an option with a
// default, so the same command works in a script and in CI).
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';
import {
  detectPackageManager,
  isPackageManager,
  PACKAGE_MANAGERS,
  type PackageManager,
} from './package-manager.js';
import { packageNameProblems, suggestPackageName } from './package-name.js';
import { scaffoldBase } from './scaffold-base.js';
import { isTemplateName, TEMPLATE_NAMES, TEMPLATES, type TemplateName } from './templates.js';

export const USAGE = `Usage: npm create @routerd/plugin@latest <directory> [-- options]
       (or: pnpm create @routerd/plugin <directory> [options])

Writes a TypeScript routerd plugin project into <directory> (new or empty) and installs its
dependencies. Then, in <directory>: npm run build, npm test, npm run conformance.

Options:
  --name NAME                the npm package name (default: the directory's name)
  --template NAME            ${TEMPLATE_NAMES.map((t) => `${t}: ${TEMPLATES[t].summary}`).join('\n                             ')}
                             (default: proposer)
  --capabilities LIST        what the plugin declares, comma-separated (default: the template's own;
                             known: ${scaffoldBase.capabilities.join(', ')})
  --package-manager npm|pnpm the one to install with and name in the README (default: the one
                             running this command, from npm_config_user_agent)
  --no-install               write the files only
  --routerd-tarballs DIR     for routerd's own tests only: take the @routerd packages from the
                             tarballs \`pnpm pack\` wrote to DIR instead of the registry
  -h, --help                 this text
`;

export interface CreateOptions {
  /** The target directory, absolute. */
  dir: string;
  /** The directory as the user wrote it, for messages. */
  shownDir: string;
  name: string;
  template: TemplateName;
  capabilities: string[];
  install: boolean;
  packageManager: PackageManager;
  routerdTarballs?: string;
}

const CLI_OPTIONS = {
  name: { type: 'string' },
  template: { type: 'string', default: 'proposer' },
  capabilities: { type: 'string', multiple: true },
  'package-manager': { type: 'string' },
  'no-install': { type: 'boolean', default: false },
  'routerd-tarballs': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export function parseOptions(argv: string[], cwd: string): CreateOptions | 'help' {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; options: typeof CLI_OPTIONS; allowPositionals: true }>
  >;
  try {
    parsed = parseArgs({ args: argv, options: CLI_OPTIONS, allowPositionals: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0
        ? `say where to write the project: npm create @routerd/plugin@latest my-plugin\n\n${USAGE}`
        : `one directory, please (got ${positionals.join(', ')}); options after \`--\` with npm create\n\n${USAGE}`,
    );
  }
  const shownDir = positionals[0]!;
  const dir = resolve(cwd, shownDir);
  const template = values.template;
  if (!isTemplateName(template)) {
    throw new UsageError(
      `--template ${template} is not a template: choose one of ${TEMPLATE_NAMES.join(', ')}`,
    );
  }
  return {
    dir,
    shownDir,
    name: checkedName(values.name, basename(dir)),
    template,
    capabilities: checkedCapabilities(values.capabilities, template),
    install: !values['no-install'],
    packageManager: checkedPackageManager(values['package-manager']),
    routerdTarballs: values['routerd-tarballs'] && resolve(cwd, values['routerd-tarballs']),
  };
}

function checkedName(given: string | undefined, dirName: string): string {
  const name = given ?? dirName;
  const problems = packageNameProblems(name);
  if (problems.length === 0) return name;
  const from = given === undefined ? ' (the directory name)' : '';
  const suggestion = suggestPackageName(name);
  throw new UsageError(
    `"${name}"${from} is not a valid npm package name: ${problems.join('; ')}.\n` +
      `Pass --name ${suggestion ?? '<lowercase-name>'}${given === undefined ? ', or choose another directory name' : ''}.`,
  );
}

function checkedCapabilities(given: string[] | undefined, template: TemplateName): string[] {
  const own = TEMPLATES[template].capability;
  if (!given) return [own];
  const list = [
    ...new Set(
      given
        .flatMap((g) => g.split(','))
        .map((c) => c.trim())
        .filter(Boolean),
    ),
  ];
  const unknown = list.filter((c) => !scaffoldBase.capabilities.includes(c));
  if (unknown.length > 0) {
    throw new UsageError(
      `--capabilities: ${unknown.join(', ')} ${unknown.length === 1 ? 'is not a capability' : 'are not capabilities'} of plugin protocol v1 (known: ${scaffoldBase.capabilities.join(', ')})`,
    );
  }
  if (!list.includes(own)) {
    throw new UsageError(
      `--capabilities: the ${template} template's handler needs ${own}: add it, or choose another --template (${TEMPLATE_NAMES.filter((t) => t !== template).join(', ')})`,
    );
  }
  return list;
}

function checkedPackageManager(given: string | undefined): PackageManager {
  if (given === undefined) return detectPackageManager();
  if (!isPackageManager(given)) {
    throw new UsageError(`--package-manager ${given}: choose ${PACKAGE_MANAGERS.join(' or ')}`);
  }
  return given;
}
