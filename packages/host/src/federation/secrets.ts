import {
  type Ed25519PrivateKey,
  type Ed25519PublicKey,
  parseEd25519PrivateText,
  parseEd25519PublicText,
  parseSecretText,
  SecretFileError,
  type SigningKey,
} from '@routerd/host-wire/keys';
import { KEY_FILE_MAX_BYTES, NotReadableError, readRegularFile } from '../regular-file.js';

// The format is shared with routerctl (it writes these files): one implementation, in @routerd/host-wire.
export { fingerprint, generateSecret, parseSecretText, SecretFileError } from '@routerd/host-wire/keys';

/** The three kinds of key file, by the config field that names them. */
const KINDS = {
  secret: { field: 'auth.secretFile', private: true, make: 'routerctl keys generate --out' },
  'ed25519-private': {
    field: 'auth.privateKeyFile',
    private: true,
    make: 'routerctl keys generate --type ed25519 --out',
  },
  'ed25519-public': {
    field: 'auth.publicKeyFile',
    private: false,
    make: "the peer's routerctl keys public (its whpk_ lines) >",
  },
} as const;
type KeyFileKind = keyof typeof KINDS;

/**
 * Read a key file, refusing anything but a regular file (a FIFO would hang the start or freeze a reload)
 * and a private one (a shared secret, a private key) that group or others can read: a key is only as
 * private as its file. A public key file may be world-readable.
 */
function readKeyFile(path: string, kind: KeyFileKind): string {
  const k = KINDS[kind];
  let file: ReturnType<typeof readRegularFile>;
  try {
    file = readRegularFile(path, KEY_FILE_MAX_BYTES);
  } catch (err) {
    const reason = err instanceof NotReadableError ? err.reason : (err as Error).message;
    throw new SecretFileError(
      `cannot read ${k.private ? 'secret' : 'public key'} file ${path}: ${reason} — point ${k.field} at ${k.private ? 'a 0600 file holding the key' : 'a file of whpk_ lines'} (${k.make} ${path} makes one)`,
    );
  }
  const mode = file.stats.mode;
  if (k.private && (mode & 0o077) !== 0) {
    throw new SecretFileError(
      `secret file ${path} is readable by group or others (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${path}`,
    );
  }
  return file.text;
}

/** A shared HMAC secret file (whsec_ lines). */
export function loadSecretFile(path: string): SigningKey[] {
  return parseSecretText(readKeyFile(path, 'secret'), path);
}

/** This node's Ed25519 private key file (whsk_ lines, 0600). */
export function loadPrivateKeyFile(path: string): Ed25519PrivateKey[] {
  return parseEd25519PrivateText(readKeyFile(path, 'ed25519-private'), path);
}

/** A peer's Ed25519 public key file (whpk_ lines, each with an optional notAfter). */
export function loadPublicKeyFile(path: string): Ed25519PublicKey[] {
  return parseEd25519PublicText(readKeyFile(path, 'ed25519-public'), path);
}
