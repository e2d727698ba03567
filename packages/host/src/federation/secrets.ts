import { parseSecretText, SecretFileError, type SigningKey } from '@routerd/host-wire/keys';
import { NotReadableError, readRegularFile } from '../regular-file.js';

// The format is shared with routerctl (it writes these files): one implementation, in @routerd/host-wire.
export { fingerprint, generateSecret, parseSecretText, SecretFileError } from '@routerd/host-wire/keys';

/**
 * Load keys, refusing a file that group or others can read (a shared secret is only as private as its
 * file) and anything but a regular file (a FIFO would hang the start or freeze a reload).
 */
export function loadSecretFile(path: string): SigningKey[] {
  let file: ReturnType<typeof readRegularFile>;
  try {
    file = readRegularFile(path);
  } catch (err) {
    const reason = err instanceof NotReadableError ? err.reason : (err as Error).message;
    throw new SecretFileError(
      `cannot read secret file ${path}: ${reason} — point auth.secretFile at a 0600 file holding the key (routerctl keys generate --out ${path} makes one)`,
    );
  }
  const mode = file.stats.mode;
  if ((mode & 0o077) !== 0) {
    throw new SecretFileError(
      `secret file ${path} is readable by group or others (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${path}`,
    );
  }
  return parseSecretText(file.text, path);
}
