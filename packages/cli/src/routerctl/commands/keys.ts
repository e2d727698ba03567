/** routerctl keys generate: a shared key for federation signing, in the secret-file format. */
import { chownSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import {
  DAEMON_USER,
  generateSecret,
  groupName,
  parseSecretText,
  userExists,
  userName,
} from '@routerd/host-wire/keys';
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

      A replaced file keeps its owner and group (run as root, the daemon's user can still read it). A new
      file written as root belongs to root: when a ${DAEMON_USER} user exists, the chown to run is printed.
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
    const asRoot = process.getuid?.() === 0;
    let keepOwner: { uid: number; gid: number } | undefined;
    if (existsSync(this.out)) {
      const { uid, gid } = statSync(this.out);
      // The rename below would hand the daemon's key file to root, and its next reload would fail (EACCES).
      if (asRoot && (uid !== 0 || gid !== 0)) keepOwner = { uid, gid };
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
    if (keepOwner) chownSync(tmp, keepOwner.uid, keepOwner.gid);
    renameSync(tmp, this.out);
    const owner = keepOwner ? `, owner ${userName(keepOwner.uid)}:${groupName(keepOwner.gid)} kept` : '';
    this.context.stderr.write(
      `wrote ${this.out} (mode 0600${owner})${this.rotate ? ': new key first, old keys kept for verification' : ''}\n`,
    );
    if (asRoot && !keepOwner && userExists(DAEMON_USER))
      this.context.stderr.write(
        `${this.out} belongs to root, and routerd-eventd runs as ${DAEMON_USER}: run chown ${DAEMON_USER}: ${this.out}\n`,
      );
  }
}
