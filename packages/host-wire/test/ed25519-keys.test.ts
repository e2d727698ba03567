// The Ed25519 key-file formats: whsk_ (a 32-byte seed, as Standard Webhooks' Go library reads it) and
// whpk_ (the raw 32-byte public key), one per line, with notAfter on public lines; errors name file and line.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  generateEd25519,
  parseEd25519PrivateText,
  parseEd25519PublicText,
  parseNotAfter,
  publicLine,
  SecretFileError,
} from '../src/keys/index.js';

describe('Ed25519 key files', () => {
  it('a private key line is the seed: the public key derived from it is the one node:crypto derives', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(16);
    const [key] = parseEd25519PrivateText(`whsk_${seed.toString('base64')}\n`);
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(12);
    expect(publicLine(key!)).toBe(`whpk_${raw.toString('base64')}`);
    const [pub] = parseEd25519PublicText(publicLine(key!));
    expect(pub!.fingerprint).toBe(key!.fingerprint);
  });

  it('several lines, comments and blank lines: every key, in order', () => {
    const a = generateEd25519();
    const b = generateEd25519();
    const keys = parseEd25519PrivateText(`# new\n${a}\n\n# old\n${b}\n`);
    expect(keys.map(publicLine)).toEqual([a, b].map((l) => publicLine(parseEd25519PrivateText(l)[0]!)));
  });

  it('notAfter: a date (midnight UTC) or a UTC instant; anything else is refused naming file, line and form', () => {
    const line = publicLine(parseEd25519PrivateText(generateEd25519())[0]!);
    const [day, instant, none] = parseEd25519PublicText(
      `${line} notAfter=2026-09-01\n${line}   notAfter=2026-09-01T12:30:00Z\n${line}\n`,
    );
    expect(day!.notAfter).toBe(Date.parse('2026-09-01T00:00:00Z'));
    expect(instant!.notAfter).toBe(Date.parse('2026-09-01T12:30:00Z'));
    expect(none!.notAfter).toBeUndefined();
    for (const bad of [
      '2026-02-30',
      '2026-13-01',
      '2026-09-01T25:00:00Z',
      '2026-09-01T12:00:00+02:00',
      'soon',
    ])
      expect(() =>
        parseEd25519PublicText(`# keys of edge-1\n${line} notAfter=${bad}\n`, '/etc/routerd/edge-1.pub'),
      ).toThrow(
        `/etc/routerd/edge-1.pub:2: notAfter=${bad} is not a date: write notAfter=YYYY-MM-DD or notAfter=YYYY-MM-DDTHH:MM:SSZ (UTC)`,
      );
    expect(() => parseEd25519PublicText(`${line} expires=2026-09-01`, 'p.pub')).toThrow(
      /^p\.pub:1: unknown attribute "expires=2026-09-01": only notAfter=DATE may follow the key$/,
    );
    expect(parseNotAfter('2024-02-29')).toBe(Date.parse('2024-02-29T00:00:00Z'));
    expect(parseNotAfter('2025-02-29')).toBeUndefined();
  });

  it('a key in the wrong file is named as such, and a broken one by its line', () => {
    const priv = generateEd25519();
    const pub = publicLine(parseEd25519PrivateText(priv)[0]!);
    expect(() => parseEd25519PublicText(priv, 'edge.pub')).toThrow(
      /^edge\.pub:1: a private key \(whsk_\) in a public key file/,
    );
    expect(() => parseEd25519PrivateText(pub, 'node.key')).toThrow(
      /^node\.key:1: a public key \(whpk_\) where this node's private key belongs/,
    );
    expect(() => parseEd25519PrivateText(`${priv}\nwhsk_c2hvcnQ=\n`, 'node.key')).toThrow(
      'node.key:2: expected whsk_ followed by base64 of 32 bytes (generate one with `routerctl keys generate --type ed25519`)',
    );
    expect(() => parseEd25519PublicText('# nothing\n', 'edge.pub')).toThrow(SecretFileError);
  });
});
