import { createHash, randomBytes } from 'node:crypto';
import { NotReadableError, readRegularFile } from '../regular-file.js';
import type { SigningKey } from './signing.js';

/**
 * Secret files hold one key per line: `whsec_<base64 of 24–64 random bytes>` (the Standard Webhooks
 * spelling). Several lines mean rotation: the first key signs, every key verifies. Blank lines and
 * `#` comments are ignored.
 */
export class SecretFileError extends Error {}

export function fingerprint(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 12);
}

export function parseSecretText(text: string, source = 'secret'): SigningKey[] {
  const keys: SigningKey[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const b64 = line.startsWith('whsec_') ? line.slice(6) : line;
    const bytes = Buffer.from(b64, 'base64');
    if (
      bytes.length < 24 ||
      bytes.length > 64 ||
      bytes.toString('base64').replace(/=+$/, '') !== b64.replace(/=+$/, '')
    ) {
      throw new SecretFileError(
        `${source}:${i + 1}: expected whsec_ followed by base64 of 24 to 64 bytes (generate one with \`routerctl keys generate\`)`,
      );
    }
    keys.push({ bytes, fingerprint: fingerprint(bytes) });
  });
  if (keys.length === 0) throw new SecretFileError(`${source}: no key found`);
  return keys;
}

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

export function generateSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}
