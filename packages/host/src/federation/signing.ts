import { createHmac, sign as edSign, verify as edVerify, timingSafeEqual } from 'node:crypto';
import type { Ed25519PrivateKey, Ed25519PublicKey, SigningKey } from '@routerd/host-wire/keys';

/**
 * Standard Webhooks signatures, both schemes of the spec: `v1,<base64 HMAC-SHA256>` with a shared secret
 * (whsec_), and `v1a,<base64 Ed25519 signature>` with this node's private key (whsk_), verified with its
 * public key (whpk_). Both sign `id.timestamp.rawBody` over the raw bytes exactly as sent — never
 * re-serialised JSON — so both sides agree byte for byte.
 */
export const SignatureHeaders = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
  /** routerd addition: which node signed, so the receiver picks that peer's keys. */
  node: 'routerd-node',
} as const;

export type { Ed25519PrivateKey, Ed25519PublicKey, SigningKey };
/** What signs: a shared HMAC secret, or this node's Ed25519 private key. */
export type SignKey = SigningKey | Ed25519PrivateKey;
/** What verifies: a shared HMAC secret, or a peer's Ed25519 public key (a private key verifies its own). */
export type VerifyKey = SigningKey | Ed25519PublicKey | Ed25519PrivateKey;

export function isHmacKey(key: VerifyKey): key is SigningKey {
  return 'bytes' in key;
}

// Ids and timestamps are joined with "." in the signing string; refusing "." in them prevents splicing.
const ID_PATTERN = /^[A-Za-z0-9_:-]{1,128}$/;
const TIMESTAMP_PATTERN = /^\d{1,12}$/;
/**
 * v1a entries looked at: a sender signs once per key (two or three during a rotation), and an Ed25519
 * verification costs tens of µs, so a header stuffed with entries cannot make a request expensive.
 */
export const MAX_ED25519_SIGNATURES = 8;
const ED25519_SIGNATURE_BYTES = 64;

/**
 * `id.timestamp.body`, kept as its two parts: an HMAC takes them one after the other, so a request's body
 * (up to 256 KiB) is not copied behind its prefix on each side (issue 18); Ed25519 signs one buffer,
 * joined once when first asked for.
 */
class SigningInput {
  readonly prefix: Buffer;
  private joined?: Buffer;
  constructor(
    id: string,
    timestamp: string,
    readonly body: Buffer,
  ) {
    this.prefix = Buffer.from(`${id}.${timestamp}.`, 'utf8');
  }
  bytes(): Buffer {
    this.joined ??= Buffer.concat([this.prefix, this.body]);
    return this.joined;
  }
}

function mac(key: SigningKey, input: SigningInput): Buffer {
  return createHmac('sha256', key.bytes).update(input.prefix).update(input.body).digest();
}

function entry(key: SignKey, input: SigningInput): string {
  return isHmacKey(key)
    ? `v1,${mac(key, input).toString('base64')}`
    : `v1a,${edSign(null, input.bytes(), key.privateKey).toString('base64')}`;
}

/** Sign with every given key (current first); the header lists them space-separated, as the spec allows. */
export function sign(
  keys: readonly SignKey[],
  id: string,
  timestamp: number,
  body: Buffer,
): Record<string, string> {
  if (!ID_PATTERN.test(id))
    throw new Error(`webhook id "${id}" must be 1-128 characters of A-Z a-z 0-9 _ : -`);
  if (keys.length === 0) throw new Error('no signing key');
  const ts = String(Math.floor(timestamp));
  const input = new SigningInput(id, ts, body);
  return {
    [SignatureHeaders.id]: id,
    [SignatureHeaders.timestamp]: ts,
    [SignatureHeaders.signature]: keys.map((k) => entry(k, input)).join(' '),
  };
}

export type VerifyFailure = 'missing-headers' | 'malformed-headers' | 'timestamp' | 'signature';

export type VerifyResult =
  | { ok: true; id: string; timestamp: number; key: VerifyKey }
  | {
      ok: false;
      reason: VerifyFailure;
      detail: string;
      /**
       * The sender's `webhook-timestamp` when it was well-formed: unauthenticated (anyone can write it),
       * but what tells a clock that is off from a key that differs.
       */
      timestamp?: number;
    };

/** The decoded signatures of one scheme (`v1` or `v1a`) in a `webhook-signature` header. */
function offered(header: string, scheme: 'v1' | 'v1a', max = Number.POSITIVE_INFINITY): Buffer[] {
  const prefix = `${scheme},`;
  return header
    .split(' ')
    .filter((e) => e.startsWith(prefix))
    .slice(0, max)
    .map((e) => Buffer.from(e.slice(prefix.length), 'base64'));
}

function matches(key: VerifyKey, input: SigningInput, v1: Buffer[], v1a: Buffer[]): boolean {
  if (isHmacKey(key)) {
    const expected = mac(key, input);
    return v1.some((c) => c.length === expected.length && timingSafeEqual(c, expected));
  }
  return v1a.some(
    (c) => c.length === ED25519_SIGNATURE_BYTES && edVerify(null, input.bytes(), key.publicKey, c),
  );
}

/** A key past its notAfter verifies nothing (only public keys carry one). */
function current(key: VerifyKey, nowSeconds: number): boolean {
  return !('notAfter' in key) || key.notAfter === undefined || key.notAfter > nowSeconds * 1000;
}

/**
 * Verify before parsing anything: headers present and well-formed, timestamp within the tolerance,
 * then any entry of the key's scheme matching any current key (HMAC compared in constant time on the
 * decoded bytes, Ed25519 verified with the public key).
 */
export function verify(
  keys: readonly VerifyKey[],
  headers: Record<string, string | string[] | undefined>,
  body: Buffer,
  nowSeconds: number,
  toleranceSeconds: number,
): VerifyResult {
  const one = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const id = one(SignatureHeaders.id);
  const ts = one(SignatureHeaders.timestamp);
  const sig = one(SignatureHeaders.signature);
  if (!id || !ts || !sig)
    return {
      ok: false,
      reason: 'missing-headers',
      detail: 'webhook-id, webhook-timestamp and webhook-signature are required',
    };
  if (!ID_PATTERN.test(id) || !TIMESTAMP_PATTERN.test(ts)) {
    return { ok: false, reason: 'malformed-headers', detail: 'webhook-id or webhook-timestamp is malformed' };
  }
  const timestamp = Number(ts);
  const skew = timestamp - nowSeconds;
  if (Math.abs(skew) > toleranceSeconds) {
    // The clock is named, not the key: the two need different fixes.
    return {
      ok: false,
      reason: 'timestamp',
      detail: `webhook-timestamp is ${Math.abs(skew)} s ${skew > 0 ? 'ahead of' : 'behind'} this node's clock, beyond the replay window (${toleranceSeconds} s): the clocks differ (not the keys) — synchronise them`,
      timestamp,
    };
  }
  const input = new SigningInput(id, ts, body);
  const v1 = offered(sig, 'v1');
  const v1a = offered(sig, 'v1a', MAX_ED25519_SIGNATURES);
  const live = keys.filter((k) => current(k, nowSeconds));
  for (const key of live) if (matches(key, input, v1, v1a)) return { ok: true, id, timestamp, key };
  return { ok: false, reason: 'signature', detail: whyNoMatch(keys, live, v1, v1a, skew), timestamp };
}

/** Which fix a signature that matches nothing needs: the scheme, a rotated-out key, or the key files. */
function whyNoMatch(
  keys: readonly VerifyKey[],
  live: readonly VerifyKey[],
  v1: Buffer[],
  v1a: Buffer[],
  skew: number,
): string {
  const clocks = `the clocks agree within ${Math.max(1, Math.abs(skew))} s`;
  const ed = keys.length > 0 && !isHmacKey(keys[0]!);
  if (ed && v1a.length === 0 && v1.length > 0)
    return `the sender signs with a shared secret (v1) but this node holds Ed25519 public keys for it (v1a): both routers' EventGroup auth.mode must be the same`;
  if (!ed && v1.length === 0 && v1a.length > 0)
    return `the sender signs with Ed25519 (v1a) but this node holds a shared secret for it (v1): both routers' EventGroup auth.mode must be the same`;
  const expired = keys.length - live.length;
  if (live.length === 0)
    return `every key held here for this sender is past its notAfter (${expired} rotated out; ${clocks}): add the sender's current public key (routerctl keys public on the sender) to its public key file and reload`;
  return ed
    ? `no v1a signature verifies with the ${live.length} public key${live.length === 1 ? '' : 's'} listed here for this sender${expired ? ` (${expired} more rotated out)` : ''} (${clocks}): its public key file here does not hold the key it signs with — compare with routerctl keys public on the sender`
    : `the signature matches no key held here for this sender (${live.length} held; ${clocks}): the two routers' key files differ`;
}
