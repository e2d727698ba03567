/** routerctl keys generate: a shared key for federation signing, in the secret-file format. */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { generateSecret, parseSecretText } from '@routerd/host/keys';
import { Command, Option } from 'clipanion';
import { RouterctlCommand } from '../base-command.js';

export class KeysGenerateCommand extends RouterctlCommand {
  static override paths = [['keys', 'generate']];
  static override usage = Command.Usage({
    category: 'keys',
    description: 'generate a signing key (whsec_…, 32 random bytes); print it, or write a 0600 secret file',
    details: `
      With --out, the key is written to FILE with mode 0600. With --rotate, FILE must exist: the new key
      becomes the first line and the old keys stay below it: every key in the file signs and verifies,
      so peers can switch over without a gap. Remove the old line once every peer has the new key.
    `,
    examples: [
      ['A new shared key file', '$0 keys generate --out /etc/routerd/edge.key'],
      ['Rotate: new key first, old kept', '$0 keys generate --out /etc/routerd/edge.key --rotate'],
    ],
  });
  out = Option.String('--out', { description: 'write to this file (mode 0600) instead of stdout' });
  rotate = Option.Boolean('--rotate', false, {
    description: 'put the new key first in an existing file, keeping the old ones',
  });
  force = Option.Boolean('--force', false, { description: 'overwrite an existing file (without --rotate)' });

  async run(): Promise<void> {
    const key = generateSecret();
    if (!this.out) {
      if (this.rotate) throw new Error('--rotate needs --out FILE');
      this.write(`${key}\n`);
      return;
    }
    let text = `${key}\n`;
    if (existsSync(this.out)) {
      if (this.rotate) {
        const old = readFileSync(this.out, 'utf8');
        parseSecretText(old, this.out); // refuse to rotate a file that is already broken
        text = `${key}\n${old.endsWith('\n') ? old : `${old}\n`}`;
      } else if (!this.force) {
        throw new Error(`${this.out} exists: use --rotate to add a key to it, or --force to replace it`);
      }
    } else if (this.rotate)
      throw new Error(`${this.out} does not exist: nothing to rotate (drop --rotate to create it)`);
    // Write beside, then rename: a crash never leaves a half-written key file.
    const tmp = `${this.out}.tmp-${process.pid}`;
    writeFileSync(tmp, text, { mode: 0o600 });
    renameSync(tmp, this.out);
    this.context.stderr.write(
      `wrote ${this.out} (mode 0600)${this.rotate ? ': new key first, old keys kept for verification' : ''}\n`,
    );
  }
}
