import { type BaseContext, Builtins, Cli } from 'clipanion';
import { VERSION } from '../version.js';
import {
  ActionApproveCommand,
  ActionCapturedCommand,
  ActionJournalCommand,
  ActionRejectCommand,
  ActionRunCommand,
  ActionUndoCommand,
} from './commands/action.js';
import { BackupCommand } from './commands/backup.js';
import { CompletionCommand } from './commands/completion.js';
import { DoctorFederationCommand } from './commands/doctor.js';
import {
  ActionListCommand,
  ActionShowCommand,
  DynamicDescribeCommand,
  DynamicListCommand,
  DynamicRenderCommand,
  SubscriptionRetryCommand,
  SubscriptionRunsCommand,
} from './commands/dynamic.js';
import { EventEmitCommand } from './commands/event-emit.js';
import { EventGetCommand } from './commands/event-get.js';
import { EventListCommand } from './commands/event-list.js';
import {
  DeliveriesCommand,
  DeliveriesSummaryCommand,
  PeerRetryCommand,
  PeersCommand,
  PruneCommand,
  RedeliverCommand,
} from './commands/federation.js';
import { KeysGenerateCommand, KeysPublicCommand } from './commands/keys.js';
import { PluginListCommand, PluginRunCommand, PluginRunsCommand } from './commands/plugin.js';
import { StatusCommand } from './commands/status.js';
import { TlsSelfSignedCommand } from './commands/tls.js';
import { TraceCommand } from './commands/trace.js';
import { ExitCodes } from './exit-codes.js';

export function buildRouterctl(): Cli {
  const cli = new Cli({
    binaryLabel: 'routerctl',
    binaryName: 'routerctl',
    binaryVersion: VERSION,
    // clipanion asks Node for the terminal's colour depth even when stdout is a pipe or a file, and so
    // wrote escape codes into `--help | less` and logs: colour only a terminal (hasColors honours NO_COLOR).
    enableColors: process.stdout.isTTY === true && process.stdout.hasColors(),
  });
  cli.register(Builtins.HelpCommand);
  cli.register(Builtins.VersionCommand);
  cli.register(StatusCommand);
  cli.register(EventEmitCommand);
  cli.register(EventListCommand);
  cli.register(EventGetCommand);
  cli.register(DeliveriesCommand);
  cli.register(DeliveriesSummaryCommand);
  cli.register(PeersCommand);
  cli.register(PeerRetryCommand);
  cli.register(RedeliverCommand);
  cli.register(PruneCommand);
  cli.register(KeysGenerateCommand);
  cli.register(KeysPublicCommand);
  cli.register(TlsSelfSignedCommand);
  for (const c of [
    DynamicListCommand,
    DynamicDescribeCommand,
    DynamicRenderCommand,
    SubscriptionRunsCommand,
    SubscriptionRetryCommand,
    ActionListCommand,
    ActionShowCommand,
    ActionJournalCommand,
    ActionApproveCommand,
    ActionRejectCommand,
    ActionRunCommand,
    ActionUndoCommand,
    ActionCapturedCommand,
  ]) {
    cli.register(c);
  }
  cli.register(PluginListCommand);
  cli.register(PluginRunCommand);
  cli.register(PluginRunsCommand);
  cli.register(TraceCommand);
  cli.register(DoctorFederationCommand);
  cli.register(BackupCommand);
  cli.register(CompletionCommand);
  return cli;
}

/**
 * Like clipanion's runExit, but a command line that does not parse exits 2 (usage), not 1, and
 * its message goes to stderr, so `routerctl … -o json | jq` never sees it.
 */
export async function runRouterctl(argv: string[], context: Partial<BaseContext> = {}): Promise<number> {
  const cli = buildRouterctl();
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
