/**
 * Ed25519 key files, spelt as Standard Webhooks' asymmetric scheme spells keys: `whsk_<base64 of the
 * 32-byte seed>` for a private key (this node's; only its own file holds it) and `whpk_<base64 of the
 * 32-byte public key>` for a public key (what every peer lists for this node). One key per line; several
 * lines mean rotation: every private key signs, every public key verifies. A public line may carry
 * `notAfter=DATE` (`2026-09-01` or `2026-09-01T12:00:00Z`, UTC): from then on the key verifies nothing,
 * and the doctor warns 7 days before (ROTATION_WARNING_MS). Blank lines and `#` comments are ignored.
 */
import { createPrivateKey, createPublicKey, type KeyObject, randomBytes } from 'node:crypto';
import { fingerprint, SecretFileError } from './secret-format.js';

export const PRIVATE_PREFIX = 'whsk_';
export const PUBLIC_PREFIX = 'whpk_';

/** "About to be rotated out": a public key whose notAfter is this close (the doctor's peer-key check). */
export const ROTATION_WARNING_MS = 7 * 24 * 3600_000;

/** This node's signing key. The fingerprint is the public key's, so both sides name a key alike. */
export interface Ed25519PrivateKey {
  kind: 'ed25519-private';
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The raw 32 bytes of the public key. */
  publicBytes: Buffer;
  fingerprint: string;
}

/** A peer's key, as a trust list line. */
export interface Ed25519PublicKey {
  kind: 'ed25519-public';
  publicKey: KeyObject;
  publicBytes: Buffer;
  fingerprint: string;
  /** Milliseconds since the epoch from which this key verifies nothing; absent: no end. */
  notAfter?: number;
}

// The DER headers of PKCS#8 and SPKI for an Ed25519 key (RFC 8410): node:crypto takes raw keys this way.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function ed25519PublicFromBytes(bytes: Buffer): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, bytes]), format: 'der', type: 'spki' });
}

export function ed25519PrivateFromSeed(seed: Buffer): Ed25519PrivateKey {
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const publicKey = createPublicKey(privateKey);
  const publicBytes = publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);
  return {
    kind: 'ed25519-private',
    privateKey,
    publicKey,
    publicBytes,
    fingerprint: fingerprint(publicBytes),
  };
}

/** `whpk_…` of a private key: the line a peer adds to its public key file for this node. */
export function publicLine(key: Ed25519PrivateKey | Ed25519PublicKey): string {
  return `${PUBLIC_PREFIX}${key.publicBytes.toString('base64')}`;
}

export function generateEd25519(): string {
  return `${PRIVATE_PREFIX}${randomBytes(32).toString('base64')}`;
}

/** 32 bytes of canonical base64 after `prefix`, or undefined. */
function decode32(text: string, prefix: string): Buffer | undefined {
  if (!text.startsWith(prefix)) return undefined;
  const b64 = text.slice(prefix.length);
  const bytes = Buffer.from(b64, 'base64');
  return bytes.length === 32 && bytes.toString('base64') === b64 ? bytes : undefined;
}

/** Meaningful lines with their 1-based numbers: blank lines and `#` comments dropped. */
function lines(text: string): { line: string; n: number }[] {
  return text
    .split('\n')
    .map((raw, i) => ({ line: raw.trim(), n: i + 1 }))
    .filter((l) => l.line !== '' && !l.line.startsWith('#'));
}

export function parseEd25519PrivateText(text: string, source = 'private key'): Ed25519PrivateKey[] {
  const keys = lines(text).map(({ line, n }) => {
    const seed = decode32(line, PRIVATE_PREFIX);
    if (!seed)
      throw new SecretFileError(
        line.startsWith(PUBLIC_PREFIX)
          ? `${source}:${n}: a public key (whpk_) where this node's private key belongs (whsk_): auth.privateKeyFile is this node's own key file, a peer's public key goes in its EventPeer's auth.publicKeyFile`
          : `${source}:${n}: expected whsk_ followed by base64 of 32 bytes (generate one with \`routerctl keys generate --type ed25519\`)`,
      );
    return ed25519PrivateFromSeed(seed);
  });
  if (keys.length === 0) throw new SecretFileError(`${source}: no key found`);
  return keys;
}

/** `2026-09-01` (midnight UTC) or `2026-09-01T12:00:00Z`; undefined unless it is a real instant. */
export function parseNotAfter(text: string): number | undefined {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    const ms = Date.parse(`${text}T00:00:00Z`);
    return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === text ? ms : undefined;
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(text)) {
    const ms = Date.parse(text);
    return Number.isFinite(ms) && new Date(ms).toISOString() === text.replace('Z', '.000Z') ? ms : undefined;
  }
  return undefined;
}

export function parseEd25519PublicText(text: string, source = 'public key'): Ed25519PublicKey[] {
  const keys = lines(text).map(({ line, n }) => {
    const [key = '', ...attrs] = line.split(/\s+/);
    const bytes = decode32(key, PUBLIC_PREFIX);
    if (!bytes)
      throw new SecretFileError(
        key.startsWith(PRIVATE_PREFIX)
          ? `${source}:${n}: a private key (whsk_) in a public key file: never copy a node's private key; run routerctl keys public on that node and put the whpk_ line here`
          : `${source}:${n}: expected whpk_ followed by base64 of 32 bytes (routerctl keys public FILE on the peer prints it)`,
      );
    let notAfter: number | undefined;
    for (const attr of attrs) {
      const m = /^notAfter=(.*)$/.exec(attr);
      const at = m ? parseNotAfter(m[1]!) : undefined;
      if (at === undefined)
        throw new SecretFileError(
          `${source}:${n}: ${m ? `notAfter=${m[1]} is not a date: write notAfter=YYYY-MM-DD or notAfter=YYYY-MM-DDTHH:MM:SSZ (UTC)` : `unknown attribute ${JSON.stringify(attr.slice(0, 40))}: only notAfter=DATE may follow the key`}`,
        );
      notAfter = at;
    }
    const publicKey = ed25519PublicFromBytes(bytes);
    return {
      kind: 'ed25519-public' as const,
      publicKey,
      publicBytes: bytes,
      fingerprint: fingerprint(bytes),
      ...(notAfter === undefined ? {} : { notAfter }),
    };
  });
  if (keys.length === 0) throw new SecretFileError(`${source}: no key found`);
  return keys;
}
