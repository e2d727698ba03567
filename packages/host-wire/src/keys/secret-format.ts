import { createHash, randomBytes } from 'node:crypto';

/**
 * Secret files hold one key per line: `whsec_<base64 of 24–64 random bytes>` (the Standard Webhooks
 * spelling). Several lines mean rotation: the first key signs, every key verifies. Blank lines and
 * `#` comments are ignored. The daemon reads them (with its own file checks), routerctl writes them.
 */
export class SecretFileError extends Error {}

/** A key as loaded from a secret file: raw bytes plus a short fingerprint for logs (never the key). */
export interface SigningKey {
  bytes: Buffer;
  fingerprint: string;
}

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

export function generateSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}
