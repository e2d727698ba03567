// Standard Webhooks' asymmetric scheme (v1a, Ed25519): what we sign verifies with an independent
// verifier written from the spec — header parsing from the spec's text, the signature checked by the
// openssl CLI (no JavaScript Standard Webhooks library on npm verifies v1a: standardwebhooks 1.1.1 and
// svix 2.5.0 check v1 only) — and every forged, tampered, rotated-out or wrong-scheme request is refused.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generateEd25519,
  generateSecret,
  parseEd25519PrivateText,
  parseEd25519PublicText,
  parseSecretText,
  publicLine,
} from '@routerd/host-wire/keys';
import { describe, expect, it } from 'vitest';
import { MAX_ED25519_SIGNATURES, sign, verify } from '../../src/federation/signing.js';

const [node] = parseEd25519PrivateText(generateEd25519());
const [other] = parseEd25519PrivateText(generateEd25519());
const [pub] = parseEd25519PublicText(publicLine(node!));
const body = Buffer.from('[{"specversion":"1.0","id":"a","data":{"x":"é"}}]');
const now = 1_800_000_000;

/**
 * The spec's verification, independently: the signed content is `${webhook-id}.${webhook-timestamp}.${body}`,
 * the header a space-separated list of `version,base64` entries, the asymmetric version `v1a`, the public
 * key `whpk_` + base64 of the raw Ed25519 key. The Ed25519 check itself is openssl's.
 */
function specVerify(whpk: string, headers: Record<string, string>, payload: Buffer): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'v1a-'));
  const raw = Buffer.from(whpk.slice('whpk_'.length), 'base64');
  // SubjectPublicKeyInfo of an Ed25519 key (RFC 8410): a fixed 12-byte header, then the 32 key bytes.
  const der = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]);
  const pem = `-----BEGIN PUBLIC KEY-----\n${der.toString('base64')}\n-----END PUBLIC KEY-----\n`;
  writeFileSync(join(dir, 'pub.pem'), pem);
  const content = Buffer.concat([
    Buffer.from(`${headers['webhook-id']}.${headers['webhook-timestamp']}.`),
    payload,
  ]);
  writeFileSync(join(dir, 'msg'), content);
  return headers['webhook-signature']!.split(' ').some((entry, i) => {
    const [version, sig] = entry.split(',');
    if (version !== 'v1a' || !sig) return false;
    writeFileSync(join(dir, `sig${i}`), Buffer.from(sig, 'base64'));
    try {
      execFileSync(
        'openssl',
        [
          'pkeyutl',
          '-verify',
          '-pubin',
          '-inkey',
          join(dir, 'pub.pem'),
          '-rawin',
          '-in',
          join(dir, 'msg'),
          '-sigfile',
          join(dir, `sig${i}`),
        ],
        { stdio: 'pipe' },
      );
      return true;
    } catch {
      return false;
    }
  });
}

describe('Ed25519 signatures (Standard Webhooks v1a)', () => {
  it('signs v1a entries that a verifier written from the spec (openssl for Ed25519) accepts', () => {
    const h = sign([node!], 'b_batch-1', now, body);
    expect(h['webhook-signature']).toMatch(/^v1a,[A-Za-z0-9+/]{86}==$/);
    expect(specVerify(publicLine(node!), h, body)).toBe(true);
    // …and that same verifier refuses a tampered body and another node's key: it is a real check.
    expect(specVerify(publicLine(node!), h, Buffer.from(`${body} `))).toBe(false);
    expect(specVerify(publicLine(other!), h, body)).toBe(false);
  });

  it('accepts what openssl signs over the spec content: our verifier is no private dialect either', () => {
    const dir = mkdtempSync(join(tmpdir(), 'v1a-sign-'));
    execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', join(dir, 'k.pem')]);
    const der = execFileSync('openssl', ['pkey', '-in', join(dir, 'k.pem'), '-pubout', '-outform', 'DER']);
    const [theirs] = parseEd25519PublicText(`whpk_${der.subarray(12).toString('base64')}`);
    writeFileSync(join(dir, 'msg'), Buffer.concat([Buffer.from(`msg_1.${now}.`), body]));
    const sig = execFileSync('openssl', [
      'pkeyutl',
      '-sign',
      '-inkey',
      join(dir, 'k.pem'),
      '-rawin',
      '-in',
      join(dir, 'msg'),
    ]);
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(now),
      'webhook-signature': `v1a,${sig.toString('base64')}`,
    };
    expect(verify([theirs!], headers, body, now, 300)).toMatchObject({ ok: true, id: 'msg_1' });
  });

  it('verifies with the public key, or the private key itself; refuses another node, a tampered body, an old timestamp', () => {
    const h = sign([node!], 'b_2', now, body);
    expect(verify([pub!], h, body, now, 300)).toMatchObject({ ok: true, key: pub });
    expect(verify([node!], h, body, now, 300).ok).toBe(true);
    expect(verify([pub!], sign([other!], 'b_2', now, body), body, now, 300)).toMatchObject({
      ok: false,
      reason: 'signature',
      detail: expect.stringMatching(/^no v1a signature verifies with the 1 public key listed here/),
    });
    expect(verify([pub!], h, Buffer.from(`${body} `), now, 300)).toMatchObject({ reason: 'signature' });
    expect(verify([pub!], h, body, now + 301, 300)).toMatchObject({ reason: 'timestamp' });
  });

  it('rotation: a sender signing with its new and old keys passes whichever of them the receiver lists', () => {
    const [fresh] = parseEd25519PrivateText(generateEd25519());
    const h = sign([fresh!, node!], 'b_3', now, body);
    expect(h['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(verify([pub!], h, body, now, 300).ok).toBe(true);
    expect(verify(parseEd25519PublicText(publicLine(fresh!)), h, body, now, 300).ok).toBe(true);
  });

  it('a public key past its notAfter verifies nothing, and the refusal says so', () => {
    const [expiring] = parseEd25519PublicText(`${publicLine(node!)} notAfter=2027-01-15`);
    const atMs = Date.parse('2027-01-15T00:00:00Z');
    const before = atMs / 1000 - 10;
    const after = atMs / 1000;
    expect(verify([expiring!], sign([node!], 'b_4', before, body), body, before, 300).ok).toBe(true);
    expect(verify([expiring!], sign([node!], 'b_4', after, body), body, after, 300)).toMatchObject({
      ok: false,
      reason: 'signature',
      detail: expect.stringMatching(/past its notAfter \(1 rotated out/),
    });
  });

  it('names a scheme mismatch: v1 sent where v1a is expected, and the other way round', () => {
    const [secret] = parseSecretText(generateSecret());
    expect(verify([pub!], sign([secret!], 'b_5', now, body), body, now, 300)).toMatchObject({
      ok: false,
      reason: 'signature',
      detail: expect.stringMatching(
        /signs with a shared secret \(v1\) but this node holds Ed25519 public keys/,
      ),
    });
    expect(verify([secret!], sign([node!], 'b_5', now, body), body, now, 300)).toMatchObject({
      detail: expect.stringMatching(/signs with Ed25519 \(v1a\) but this node holds a shared secret/),
    });
  });

  it(`looks at ${MAX_ED25519_SIGNATURES} v1a entries at most: a header stuffed with forgeries costs little`, () => {
    const h = sign([node!], 'b_6', now, body);
    const junk = Array.from(
      { length: MAX_ED25519_SIGNATURES },
      () => `v1a,${Buffer.alloc(64, 7).toString('base64')}`,
    );
    const stuffed = { ...h, 'webhook-signature': [...junk, h['webhook-signature']].join(' ') };
    expect(verify([pub!], stuffed, body, now, 300).ok).toBe(false);
    const within = { ...h, 'webhook-signature': [...junk.slice(1), h['webhook-signature']].join(' ') };
    expect(verify([pub!], within, body, now, 300).ok).toBe(true);
  });
});
