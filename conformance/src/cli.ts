import { readFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { Capability } from '@routerd/plugin-sdk';
import { type BaseContext, Builtins, Cli, Command, Option } from 'clipanion';
import * as t from 'typanion';
import { parse as parseYaml } from 'yaml';
import { TESTED_CAPABILITIES } from './catalogue.js';
import type { Timeouts } from './checks/types.js';
import { runConformance, UsageError } from './engine.js';
import { type ExpectedFailure, readExpectedFailures } from './expected-failures.js';
import { FORMATS, type Format } from './render/index.js';
import { liveOutput } from './render/live.js';
import { schemaFiles } from './schemas.js';
import { VERSION } from './version.js';

/** `routerd-plugin test` exit codes; CI scripts rely on them. */
export const ExitCodes = {
  /** Every check passed (warnings and expected failures allowed). */
  ok: 0,
  /** A check failed, or an expected-failures entry is stale (the check now passes). */
  failed: 1,
  /** The command line was wrong, or the plugin could not be started at all. */
  usage: 2,
} as const;

const GRANTABLE = [...TESTED_CAPABILITIES, 'execute.providerAction'] as const;
const split = (values: string[] | undefined) =>
  values
    ?.flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);

export class TestCommand extends Command {
  static override paths = [['test']];
  static override usage = Command.Usage({
    description: 'run the plugin conformance suite against a plugin executable',
    details: `
      Starts the plugin many times, each check with a fresh process, and reports every check with the
      requirement of docs/protocol.md it verifies, as it finishes. MUST violations fail, SHOULD violations
      warn, checks for capabilities the plugin does not declare are skipped, and a check that cannot run is
      a failure.

      The plugin is a path (\`./plugin.mjs\`), or a command and its arguments (\`python3 plugin.py\`: a bare
      name that is not a file here is looked up on PATH). Arguments after \`--\` go to the plugin
      unread. Exit status: 0 all passed, 1 a check failed or an expected-failures entry is stale, 2 usage
      error or the plugin could not be started.
    `,
    examples: [
      ['Test a plugin', '$0 test ./dist/my-plugin.js'],
      ['A script and its interpreter', '$0 test python3 plugin.py'],
      ['Pass arguments and a config', '$0 test ./plugin.py --config plugin-config.yaml -- --verbose'],
      [
        'Only some groups, as JUnit for CI',
        '$0 test ./my-plugin --only lifecycle --only transport --format junit > conformance.xml',
      ],
      [
        'Track known failures',
        '$0 test ./my-plugin --expected-failures conformance-debt.yaml --output-dir conformance-out',
      ],
    ],
  });

  executable = Option.String({ name: 'command' });
  args = Option.Rest({ name: 'args' });
  config = Option.String('--config', {
    description: 'YAML or JSON file with the plugin config (initialize `config`)',
  });
  grant = Option.Array('--grant', {
    description: `capabilities the operator grants (repeat or comma-separate; default: ${TESTED_CAPABILITIES.join(', ')})`,
  });
  only = Option.Array('--only', {
    description: 'run only these groups or check ids (repeat or comma-separate)',
  });
  format = Option.String('-o,--format', {
    description: 'pretty | json | tap | junit (default: pretty on a terminal, json otherwise)',
    validator: t.isEnum(FORMATS),
  });
  outputDir = Option.String('--output-dir', {
    description: 'write report.json and, per check, transcripts and stderr here',
  });
  expectedFailures = Option.String('--expected-failures', {
    description: 'YAML file of checks known to fail',
  });
  vectors = Option.String('--vectors', {
    description: 'directory of extra golden vectors (<capability>/<name>.json)',
  });
  handshakeTimeout = Option.String('--handshake-timeout', {
    description: 'ms the plugin has to answer initialize (default 10000)',
    validator: t.cascade(t.isNumber(), [t.isInteger(), t.isPositive()]),
  });
  requestTimeout = Option.String('--request-timeout', {
    description: 'ms any other request may take (default 5000)',
    validator: t.cascade(t.isNumber(), [t.isInteger(), t.isPositive()]),
  });

  override async execute(): Promise<number> {
    const stderr = (text: string) => this.context.stderr.write(`routerd-plugin: ${text}\n`);
    let setup: { config?: Record<string, unknown>; grant?: Capability[]; expected?: ExpectedFailure[] };
    try {
      setup = this.readSetup();
    } catch (err) {
      stderr((err as Error).message);
      return ExitCodes.usage;
    }
    const tty = Boolean((this.context.stdout as Writable & { isTTY?: boolean }).isTTY);
    const format: Format = this.format ?? (tty ? 'pretty' : 'json');
    const timeouts: Partial<Timeouts> = {};
    if (this.handshakeTimeout) timeouts.handshakeMs = this.handshakeTimeout;
    if (this.requestTimeout) timeouts.requestMs = this.requestTimeout;
    const out = liveOutput(format, { colour: tty });
    const print = (text: string) => {
      if (text) this.context.stdout.write(text);
    };
    try {
      const report = await runConformance({
        executable: this.executable,
        args: this.args,
        config: setup.config,
        grant: setup.grant,
        only: split(this.only),
        vectorsDir: this.vectors,
        outputDir: this.outputDir,
        expectedFailures: setup.expected,
        timeouts,
        onStart: (start) => print(out.start(start)),
        onResult: (result) => print(out.check(result)),
      });
      print(out.end(report));
      if (report.startError) {
        stderr(`the plugin could not be started: ${report.startError}`);
        return ExitCodes.usage;
      }
      return report.ok ? ExitCodes.ok : ExitCodes.failed;
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      stderr(err.message);
      return ExitCodes.usage;
    }
  }

  private readSetup() {
    const grant = split(this.grant);
    const unknown = grant?.filter((g) => !(GRANTABLE as readonly string[]).includes(g));
    if (unknown?.length)
      throw new Error(`unknown capability ${unknown.join(', ')} (known: ${GRANTABLE.join(', ')})`);
    let config: Record<string, unknown> | undefined;
    if (this.config) {
      const data = parseYaml(readFileSync(this.config, 'utf8')) ?? {};
      if (typeof data !== 'object' || Array.isArray(data))
        throw new Error(`${this.config}: the config must be an object`);
      config = data as Record<string, unknown>;
    }
    const expected = this.expectedFailures ? readExpectedFailures(this.expectedFailures) : undefined;
    return { config, grant: grant as Capability[] | undefined, expected };
  }
}

export class SchemaCommand extends Command {
  static override paths = [['schema']];
  static override usage = Command.Usage({
    description: 'print the JSON Schema of the JSON report of `routerd-plugin test`',
  });

  override async execute(): Promise<number> {
    this.context.stdout.write(`${JSON.stringify(schemaFiles()['schema/report.schema.json'], null, 2)}\n`);
    return ExitCodes.ok;
  }
}

export function buildRouterdPlugin(): Cli {
  const cli = new Cli({
    binaryLabel: 'routerd-plugin',
    binaryName: 'routerd-plugin',
    binaryVersion: VERSION,
    // clipanion asks Node for the terminal's colour depth even when stdout is a pipe or a file, and so
    // wrote escape codes into `--help | less` and logs: colour only a terminal (hasColors honours NO_COLOR).
    enableColors: process.stdout.isTTY === true && process.stdout.hasColors(),
  });
  cli.register(Builtins.HelpCommand);
  cli.register(Builtins.VersionCommand);
  cli.register(TestCommand);
  cli.register(SchemaCommand);
  return cli;
}

/** The `routerd-plugin` process (the bin of this package and @routerd/cli's alias): argv in, exit code out. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  try {
    process.exitCode = await runRouterdPlugin(argv);
  } catch (err) {
    process.stderr.write(`routerd-plugin: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
}

/** Like clipanion's runExit, but a command line that does not parse exits 2 (usage), with its message on stderr. */
export async function runRouterdPlugin(argv: string[], context: Partial<BaseContext> = {}): Promise<number> {
  const cli = buildRouterdPlugin();
  const ctx = { ...Cli.defaultContext, ...context };
  let command: ReturnType<Cli['process']>;
  try {
    command = cli.process(argv, ctx);
  } catch (err) {
    ctx.stderr.write(cli.error(err as Error, { colored: false }));
    return ExitCodes.usage;
  }
  return cli.run(command, ctx);
}
