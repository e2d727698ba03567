// create-plugin: the bin behind `npm create @routerd/plugin` (npm runs @routerd/create-plugin's bin).
import { UsageError } from './errors.js';
import { install } from './install.js';
import { parseOptions, USAGE } from './options.js';
import { commandLine, runCommand } from './package-manager.js';
import { scaffold } from './scaffold.js';
import { TEMPLATES } from './templates.js';

function main(argv: string[]): number {
  const o = parseOptions(argv, process.cwd());
  if (o === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const files = scaffold(o);
  console.log(`Wrote ${o.name} (${o.template}: ${TEMPLATES[o.template].summary}) to ${o.shownDir}:`);
  for (const f of files) console.log(`  ${f}`);
  if (o.install) {
    console.log(`\nInstalling its dependencies with ${o.packageManager}…`);
    const installed = install(o.dir, o.shownDir, o.packageManager);
    if (!installed.ok) {
      console.error(`create-plugin: install failed: ${installed.why}`);
      return 1;
    }
  }
  const run = (script: string) => commandLine(runCommand(o.packageManager, script));
  console.log(`\nNext:\n  cd ${o.shownDir}`);
  if (!o.install) console.log(`  ${o.packageManager} install`);
  console.log(
    `  ${run('build')}\n  ${run('test')}\n  ${run('conformance')}\n\nREADME.md says how to run it under routerd-eventd.`,
  );
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  console.error(`create-plugin: ${err.message}`);
  process.exitCode = 2;
}
