/**
 * routerctl keys generate: a federation signing key — a shared secret (whsec_, hmac) or this node's
 * Ed25519 private key (whsk_) — printed or written as a 0600 key file; routerctl keys public: the whpk_
 * lines of a private key file, what every peer lists for this node.
 */
import { chownSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import {
  DAEMON_USER,
  generateEd25519,
  generateSecret,
  groupName,
  parseEd25519PrivateText,
  parseSecretText,
  publicLine,
  userExists,
  userName,
} from '@routerd/host-wire/keys';
import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { RouterctlCommand } from '../base-command.js';

const KEY_TYPES = ['hmac', 'ed25519'] as const;
type KeyType = (typeof KEY_TYPES)[number];

const FORMATS: Record<
  KeyType,
  { generate: () => string; parse: (text: string, source: string) => unknown[] }
> = {
  hmac: { generate: generateSecret, parse: parseSecretText },
  ed25519: { generate: generateEd25519, parse: parseEd25519PrivateText },
};

/** The whpk_ line of each key in a private key file's text: what the peers list for this node. */
function publicLines(text: string, source: string): string {
  return parseEd25519PrivateText(text, source)
    .map((k) => `${publicLine(k)}\n`)
    .join('');
}

export class KeysGenerateCommand extends RouterctlCommand {
  static override paths = [['keys', 'generate']];
  static override usage = Command.Usage({
    category: 'keys',
    description:
      'generate a signing key — a shared secret (whsec_…, hmac) or an Ed25519 private key (whsk_…) — and print it, or write a 0600 key file',
    details: `
      --type hmac (the default): a shared secret, 32 random bytes, that both routers hold.
      --type ed25519: this node's own private key (Standard Webhooks v1a). It never leaves the node: with
      --out, the public key lines (whpk_…) of every key in FILE are printed on stdout, for each peer's
      EventPeer auth.publicKeyFile (routerctl keys public FILE prints them again later).

      With --out, the key is written to FILE with mode 0600. With --rotate, FILE must exist: the new key
      becomes the first line and the old keys stay below it: every key in the file signs (and, for a
      shared secret, verifies), so peers can switch over without a gap. Remove the old line once every
      peer has the new key.

      A replaced file keeps its owner and group (run as root, the daemon's user can still read it). A new
      file written as root belongs to root: when a ${DAEMON_USER} user exists, the chown to run is printed.
    `,
    examples: [
      ['A new shared key file', '$0 keys generate --out /etc/routerd/edge.key'],
      ['Rotate: new key first, old kept', '$0 keys generate --out /etc/routerd/edge.key --rotate'],
      [
        "This node's Ed25519 key; its public key to the peers",
        '$0 keys generate --type ed25519 --out /etc/routerd/node.key > cloud-1.pub',
      ],
    ],
  });
  type = Option.String('--type', 'hmac', {
    description: 'hmac (a shared secret, the default) or ed25519 (this node’s private key)',
    validator: t.isEnum(KEY_TYPES),
  });
  out = Option.String('--out', { description: 'write to this file (mode 0600) instead of stdout' });
  rotate = Option.Boolean('--rotate', false, {
    description: 'put the new key first in an existing file, keeping the old ones',
  });
  force = Option.Boolean('--force', false, { description: 'overwrite an existing file (without --rotate)' });

  async run(): Promise<void> {
    const format = FORMATS[this.type];
    const key = format.generate();
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
        format.parse(old, this.out); // refuse to rotate a file that is already broken (or of the other type)
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
    if (this.type === 'ed25519') {
      this.context.stderr.write(
        `public keys below (stdout): give them to each peer, as the file its EventPeer's auth.publicKeyFile names for this node\n`,
      );
      this.write(publicLines(text, this.out));
    }
  }
}

export class KeysPublicCommand extends RouterctlCommand {
  static override paths = [['keys', 'public']];
  static override usage = Command.Usage({
    category: 'keys',
    description:
      'print the public key (whpk_…) of each Ed25519 private key in FILE: what the peers list for this node',
    details: `
      One line per key, in the file's order. A peer puts them in the file its EventPeer for this node names
      as auth.publicKeyFile; during a rotation it may mark the old line with notAfter=YYYY-MM-DD, after
      which that key verifies nothing (its doctor warns 7 days before).
    `,
    examples: [['The public keys of this node', '$0 keys public /etc/routerd/node.key']],
  });
  file = Option.String({ name: 'FILE' });

  async run(): Promise<void> {
    this.write(publicLines(readFileSync(this.file, 'utf8'), this.file));
  }
}
