/**
 * A key file as the daemon sees it. The doctor runs inside the daemon, so `access(R_OK)` from this
 * process is the truth about the next start or reload: a 0600 file owned by root passes a mode check
 * and still fails with EACCES for the daemon's user (what `routerctl keys generate` run as root made).
 */
import { accessSync, constants, statSync } from 'node:fs';
import {
  currentUserName,
  groupName,
  parseEd25519PrivateText,
  parseEd25519PublicText,
  parseSecretText,
  userName,
} from '@routerd/host-wire/keys';
import { KEY_FILE_MAX_BYTES, readRegularFile } from '../regular-file.js';
import type { KeyContents } from './key-checks.js';

export type KeyFileState =
  | { mode: number }
  | {
      error: string;
      /** The daemon's user cannot read it although it exists: who owns it, and what blocks. */
      unreadable?: { user: string; owner: string; mode: number; blockedBy: 'file' | 'directory' };
    };

export function inspectKeyFile(path: string): KeyFileState {
  let mode = 0;
  try {
    const stats = statSync(path);
    // The daemon refuses a FIFO, directory or device as a key file (regular-file.ts): so does the doctor.
    if (!stats.isFile()) return { error: 'it is not a regular file' };
    mode = stats.mode;
    accessSync(path, constants.R_OK);
    return { mode };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code !== 'EACCES') return { error: e.message };
    let owner = '';
    try {
      const stats = statSync(path);
      owner = `${userName(stats.uid)}:${groupName(stats.gid)}`;
    } catch {
      // stat itself was refused: a directory on the way is not searchable
      return {
        error: e.message,
        unreadable: { user: currentUserName(), owner: '?', mode: 0, blockedBy: 'directory' },
      };
    }
    const blockedBy = ownBitsAllow(statSync(path)) ? 'directory' : 'file';
    return { error: e.message, unreadable: { user: currentUserName(), owner, mode, blockedBy } };
  }
}

/** Whether the file's own permission bits let this process read it (if not, a directory is to blame). */
function ownBitsAllow(s: { uid: number; gid: number; mode: number }): boolean {
  const uid = process.getuid?.();
  if (uid === s.uid) return (s.mode & 0o400) !== 0;
  const groups = [process.getgid?.(), ...(process.getgroups?.() ?? [])];
  if (groups.includes(s.gid)) return (s.mode & 0o040) !== 0;
  return (s.mode & 0o004) !== 0;
}

const PARSE = {
  secret: parseSecretText,
  'ed25519-private': parseEd25519PrivateText,
  'ed25519-public': parseEd25519PublicText,
} as const;

/** What a key file holds now, parsed as the next start or reload will (its mode is inspectKeyFile's). */
export function readKeyContents(path: string, kind: KeyContents['kind']): KeyContents {
  try {
    const keys = PARSE[kind](readRegularFile(path, KEY_FILE_MAX_BYTES).text, path);
    return {
      kind,
      keys: keys.map((k) => ({
        fingerprint: k.fingerprint,
        ...('notAfter' in k && k.notAfter !== undefined ? { notAfter: k.notAfter } : {}),
      })),
    };
  } catch (err) {
    return { kind, error: (err as Error).message };
  }
}
