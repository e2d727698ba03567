import { parseArgs } from 'node:util';
import { osDefaults } from '@routerd/host-wire/constants';

const DEFAULTS = osDefaults();

export const USAGE = `usage:
  routerd-eventd --config FILE [--config FILE]... [--state-dir DIR] [--log-level LEVEL] [--log-format FORMAT]
  routerd-eventd check --config FILE [--config FILE]...
  routerd-eventd --version

  --config FILE        a YAML file of resources (EventGroup, EventPeer, EventSubscription, Plugin), e.g.
                       ${DEFAULTS.configDir}/federation.yaml; repeatable
  --state-dir DIR      where routerd.db and the control socket routerd.sock live (default ${DEFAULTS.stateDir})
  --log-level LEVEL    trace, debug, info, warn or error (default info)
  --log-format FORMAT  json (one object per line, for journald and log shippers) or pretty (for a person
                       at a terminal) (default json)

  check              validate the config files and exit: 0 if valid, 1 if not; starts nothing
signals: SIGTERM/SIGINT stop gracefully; SIGHUP reloads the config (an invalid one is refused and the old one stays)`;

export type DaemonArgs =
  | { command: 'run'; configFiles: string[]; stateDir: string; logLevel: string; logFormat: LogFormat }
  | { command: 'check'; configFiles: string[] }
  | { command: 'help' }
  | { command: 'version' };

export class UsageError extends Error {
  override name = 'UsageError';
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export function parseDaemonArgs(argv: string[]): DaemonArgs {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: 'help' };
  if (values.version) return { command: 'version' };
  const command = positionals[0] === 'check' ? 'check' : 'run';
  const extra = command === 'check' ? positionals.slice(1) : positionals;
  // `--config a.yaml b.yaml` is read as two files, so the shell glob `--config conf.d/*.yaml` just works;
  // a bare word is more likely a misspelt command than a file.
  const notAFile = extra.find((p) => !/[./]/.test(p));
  if (notAFile !== undefined)
    throw new UsageError(`unknown command "${notAFile}" (the only command is check)`);
  const configFiles = [...(values.config ?? []), ...extra];
  if (configFiles.length === 0) throw new UsageError('--config FILE is required');
  if (command === 'check') return { command: 'check', configFiles };
  const logLevel = values['log-level'] ?? 'info';
  if (!LOG_LEVELS.includes(logLevel))
    throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const logFormat = values['log-format'] ?? 'json';
  if (!isLogFormat(logFormat)) throw new UsageError(`--log-format must be one of ${LOG_FORMATS.join(', ')}`);
  return {
    command: 'run',
    configFiles,
    stateDir: values['state-dir'] ?? DEFAULTS.stateDir,
    logLevel,
    logFormat,
  };
}

function isLogFormat(value: string): value is LogFormat {
  return (LOG_FORMATS as readonly string[]).includes(value);
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', multiple: true },
      'state-dir': { type: 'string' },
      'log-level': { type: 'string' },
      'log-format': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'V' },
    },
  });
}
