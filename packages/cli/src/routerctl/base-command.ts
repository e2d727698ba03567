import { osDefaults } from '@routerd/host-wire/constants';
import { Command, Option, UsageError } from 'clipanion';
import * as t from 'typanion';
import { ApiError, ControlClient, DaemonUnreachable } from './client.js';
import { ExitCodes } from './exit-codes.js';
import { OUTPUT_FORMATS, type OutputFormat } from './output.js';
import { resolveSocket } from './socket.js';

/**
 * Every routerctl command: the global socket options, one client, and one place that turns errors into
 * a message on stderr and an exit code. Subclasses implement `run()`.
 */
export abstract class RouterctlCommand extends Command {
  socket = Option.String('--socket', {
    description: `the control socket (default: $ROUTERD_SOCKET, else ${osDefaults().socketPath})`,
  });
  stateDir = Option.String('--state-dir', {
    description: 'the daemon’s state directory; the socket is DIR/routerd.sock',
  });

  abstract run(): Promise<void>;

  protected client(): ControlClient {
    return new ControlClient(resolveSocket({ socket: this.socket, stateDir: this.stateDir }, process.env));
  }

  protected write(text: string): void {
    this.context.stdout.write(text);
  }

  async execute(): Promise<number> {
    try {
      await this.run();
      return ExitCodes.ok;
    } catch (err) {
      return this.report(err);
    }
  }

  /** The command-line option that set the request field at this JSON Pointer, if any. */
  protected optionFor(_path: string): string | undefined {
    return undefined;
  }

  private describePath(path: string): string {
    const option = this.optionFor(path);
    return option ? `${path || '/'} (${option})` : path || '/';
  }

  private report(err: unknown): number {
    const out = this.context.stderr;
    if (err instanceof UsageError) {
      out.write(`routerctl: ${err.message}\n`);
      return ExitCodes.usage;
    }
    if (err instanceof ApiError) {
      out.write(`error: ${err.message}\n`);
      // The summary names the first problem; list them all when there are several, and say which
      // option each field came from.
      if (err.issues.length > 1)
        for (const i of err.issues) out.write(`  ${this.describePath(i.path)} ${i.message}\n`);
      const flags = [...new Set(err.issues.map((i) => this.optionFor(i.path)).filter(Boolean))];
      if (flags.length > 0) out.write(`  (check ${flags.join(', ')})\n`);
      return ExitCodes.error;
    }
    if (err instanceof DaemonUnreachable) {
      out.write(`error: ${err.message}\n`);
      return ExitCodes.error;
    }
    out.write(`error: ${(err as Error).message ?? String(err)}\n`);
    return ExitCodes.error;
  }
}

/** A command that prints data: `-o table|json|yaml`. */
export abstract class ReadCommand extends RouterctlCommand {
  output = Option.String('-o,--output', 'table', {
    description: 'output format: table, json or yaml',
    validator: t.isEnum(OUTPUT_FORMATS),
  }) as OutputFormat;
}
