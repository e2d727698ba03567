import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SigningKey } from '@routerd/host-wire/keys';

/**
 * Standard Webhooks v1 signatures: `webhook-signature: v1,<base64 HMAC-SHA256(id.timestamp.rawBody)>`.
 * Signed over the raw bytes exactly as sent — never re-serialised JSON — so both sides agree byte for byte.
 */
export const SignatureHeaders = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
  /** routerd addition: which node signed, so the receiver picks that peer's keys. */
  node: 'routerd-node',
} as const;

export type { SigningKey };

// Ids and timestamps are joined with "." in the signing string; refusing "." in them prevents splicing.
const ID_PATTERN = /^[A-Za-z0-9_:-]{1,128}$/;
const TIMESTAMP_PATTERN = /^\d{1,12}$/;

function signingInput(id: string, timestamp: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${id}.${timestamp}.`, 'utf8'), body]);
}

function mac(key: SigningKey, input: Buffer): Buffer {
  return createHmac('sha256', key.bytes).update(input).digest();
}

/** Sign with every given key (current first); the header lists them space-separated, as the spec allows. */
export function sign(
  keys: readonly SigningKey[],
  id: string,
  timestamp: number,
  body: Buffer,
): Record<string, string> {
  if (!ID_PATTERN.test(id))
    throw new Error(`webhook id "${id}" must be 1-128 characters of A-Z a-z 0-9 _ : -`);
  if (keys.length === 0) throw new Error('no signing key');
  const ts = String(Math.floor(timestamp));
  const input = signingInput(id, ts, body);
  return {
    [SignatureHeaders.id]: id,
    [SignatureHeaders.timestamp]: ts,
    [SignatureHeaders.signature]: keys.map((k) => `v1,${mac(k, input).toString('base64')}`).join(' '),
  };
}

export type VerifyFailure = 'missing-headers' | 'malformed-headers' | 'timestamp' | 'signature';

export type VerifyResult =
  | { ok: true; id: string; timestamp: number; key: SigningKey }
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

/**
 * Verify before parsing anything: headers present and well-formed, timestamp within the tolerance,
 * then any `v1,` entry matching any key, compared in constant time on the decoded bytes.
 */
export function verify(
  keys: readonly SigningKey[],
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
  const input = signingInput(id, ts, body);
  const offered = sig
    .split(' ')
    .filter((e) => e.startsWith('v1,'))
    .map((e) => Buffer.from(e.slice(3), 'base64'));
  for (const key of keys) {
    const expected = mac(key, input);
    for (const candidate of offered) {
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) {
        return { ok: true, id, timestamp, key };
      }
    }
  }
  return {
    ok: false,
    reason: 'signature',
    detail: `the signature matches no key held here for this sender (${keys.length} held; the clocks agree within ${Math.max(1, Math.abs(skew))} s): the two routers' key files differ`,
    timestamp,
  };
}
