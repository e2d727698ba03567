/** The process around a Daemon: arguments, exit codes and signals. */
import { systemClock } from '../clock.js';
import { ConfigError, formatConfigIssue, loadConfig } from '../config/index.js';
import { SocketInUseError } from '../control/server.js';
import { TlsFileError } from '../federation/peer-tls.js';
import { ListenError } from '../federation/receiver.js';
import { SecretFileError } from '../federation/secrets.js';
import { loadFederationFiles } from '../federation/service.js';
import { MigrationError } from '../store/migrations.js';
import { VERSION } from '../version.js';
import { parseDaemonArgs, USAGE, UsageError } from './args.js';
import { Daemon } from './daemon.js';
import type { EarlySignals, StopSignal } from './early-signals.js';
import { createLogger } from './logger.js';
import { settleHeap } from './process-tuning.js';
import { StateDirError } from './state-dir.js';

export const ExitCodes = { ok: 0, error: 1, usage: 2 } as const;

export async function main(argv: string[], earlySignals?: EarlySignals): Promise<number | undefined> {
  let args: ReturnType<typeof parseDaemonArgs>;
  try {
    args = parseDaemonArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`routerd-eventd: ${err.message}\n\n${USAGE}\n`);
    return ExitCodes.usage;
  }
  if (args.command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return ExitCodes.ok;
  }
  if (args.command === 'version') {
    process.stdout.write(`routerd-eventd ${VERSION} (node ${process.versions.node})\n`);
    return ExitCodes.ok;
  }
  if (args.command === 'check') return check(args.configFiles);

  const logger = createLogger(args.logLevel, args.logFormat);
  let daemon: Daemon;
  try {
    daemon = await Daemon.start({
      configFiles: args.configFiles,
      stateDir: args.stateDir,
      logger,
      clock: systemClock,
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      logger.fatal(
        { issues: err.issues, problems: err.issues.map(formatConfigIssue) },
        'invalid configuration: not starting',
      );
    } else if (
      err instanceof SocketInUseError ||
      err instanceof SecretFileError ||
      err instanceof TlsFileError ||
      err instanceof ListenError ||
      err instanceof StateDirError ||
      err instanceof MigrationError
    ) {
      logger.fatal(err.message);
    } else {
      logger.fatal({ err }, 'cannot start');
    }
    // Nothing to stop or reload: the default dispositions come back for the moment the process drains.
    earlySignals?.release({ stop: () => {}, reload: () => {} });
    return ExitCodes.error;
  }

  // One stop, however many signals ask for it: a second must not exit while the first is still closing.
  let stopping = false;
  const stop = (signal: StopSignal) => {
    logger.info({ signal }, 'signal received');
    if (stopping) return;
    stopping = true;
    daemon.stop().then(
      () => process.exit(ExitCodes.ok),
      (err: unknown) => {
        logger.fatal({ err }, 'unclean stop');
        process.exit(ExitCodes.error);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  const reload = () => {
    logger.info({ signal: 'SIGHUP' }, 'signal received: reloading config');
    // reload() reports its own refusals; this is the last line against a bug: a reload never ends the daemon.
    daemon.reload().catch((err: unknown) => {
      logger.error({ err }, 'config reload failed');
    });
  };
  process.on('SIGHUP', reload);
  // One that came while it started (the bin held it): a stop is done now that there is a daemon to stop
  // cleanly; a reload is applied, as the files may have changed after they were read.
  earlySignals?.release({ stop, reload });
  // After the handlers: a signal sent once the daemon said it is ready must find them in place.
  settleHeap();
  return undefined; // keep running; the signal handlers decide the exit code
}

/** The checks a start makes before it binds anything: the resources, then the key files they name. */
function check(files: string[]): number {
  const load = loadConfig(files);
  const refuse = (problems: string[]) => {
    const n = problems.length;
    process.stderr.write(
      `routerd-eventd check: ${n} problem${n === 1 ? '' : 's'}:\n${problems.map((p) => `  ${p}`).join('\n')}\n`,
    );
    return ExitCodes.error;
  };
  if (!load.ok) return refuse(load.issues.map(formatConfigIssue));
  try {
    loadFederationFiles(load.config);
  } catch (err) {
    if (!(err instanceof SecretFileError || err instanceof TlsFileError)) throw err;
    return refuse([err.message]);
  }
  const c = load.config;
  process.stdout.write(
    `config OK: ${c.groups.length} EventGroup, ${c.peers.length} EventPeer, ${c.subscriptions.length} EventSubscription, ` +
      `${c.plugins.length} Plugin in ${c.files.length} file${c.files.length === 1 ? '' : 's'}\n`,
  );
  return ExitCodes.ok;
}
