/** routerctl completion bash|zsh: print a completion script built from the command definitions. */
import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { COMPLETION_SHELLS, type CompletionShell, completionScript } from '../completion.js';
import { ExitCodes } from '../exit-codes.js';

export class CompletionCommand extends Command {
  static override paths = [['completion']];
  static override usage = Command.Usage({
    category: 'shell',
    description: 'print a shell completion script for routerctl (bash or zsh)',
    details: `
      Completes commands, sub-commands and options; after an option that takes a value, file names.
      The script is generated from routerctl's own command list, so it matches this version.
    `,
    examples: [
      ['Try it in this shell', 'source <($0 completion bash)'],
      ['Install it for every bash user', '$0 completion bash > /etc/bash_completion.d/routerctl'],
      ['zsh (through bashcompinit)', 'source <($0 completion zsh)'],
    ],
  });
  shell = Option.String({ name: 'shell', validator: t.isEnum(COMPLETION_SHELLS) }) as CompletionShell;

  async execute(): Promise<number> {
    this.context.stdout.write(completionScript(this.shell, this.cli.binaryName, this.cli.definitions()));
    return ExitCodes.ok;
  }
}
