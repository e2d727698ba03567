import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateSecret, loadSecretFile, parseSecretText } from '../../src/federation/secrets.js';
import { sign, verify } from '../../src/federation/signing.js';

const [k1] = parseSecretText(generateSecret());
const [k2] = parseSecretText(generateSecret());
const body = Buffer.from('[{"specversion":"1.0","id":"a"}]');
const now = 1_800_000_000;

describe('Standard Webhooks signatures', () => {
  it('verifies what it signs', () => {
    const h = sign([k1!], 'batch-1', now, body);
    expect(h['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(verify([k1!], h, body, now, 300)).toMatchObject({ ok: true, id: 'batch-1', timestamp: now });
  });

  it('matches the Standard Webhooks reference vector', () => {
    // Published example: secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, id msg_p5jXN8AQM9LWM0D4loKWxJek,
    // timestamp 1614265330, body {"test": 2432232314}.
    const [key] = parseSecretText('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    const h = sign([key!], 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, Buffer.from('{"test": 2432232314}'));
    expect(h['webhook-signature']).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('accepts any of several signatures (key rotation) and any of several keys', () => {
    const h = sign([k2!, k1!], 'batch-2', now, body);
    expect(h['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(verify([k1!], h, body, now, 300).ok).toBe(true);
    expect(verify([k2!], sign([k2!], 'x', now, body), body, now, 300).ok).toBe(true);
  });

  it('refuses a tampered body, a wrong key, an old timestamp and missing headers', () => {
    const h = sign([k1!], 'batch-3', now, body);
    expect(verify([k1!], h, Buffer.from(`${body} `), now, 300)).toMatchObject({
      ok: false,
      reason: 'signature',
    });
    expect(verify([k2!], h, body, now, 300)).toMatchObject({ ok: false, reason: 'signature' });
    expect(verify([k1!], h, body, now + 301, 300)).toMatchObject({ ok: false, reason: 'timestamp' });
    expect(verify([k1!], { ...h, 'webhook-id': undefined }, body, now, 300)).toMatchObject({
      reason: 'missing-headers',
    });
    expect(verify([k1!], { ...h, 'webhook-timestamp': '1.5' }, body, now, 300)).toMatchObject({
      reason: 'malformed-headers',
    });
    expect(verify([k1!], { ...h, 'webhook-signature': 'v1,short' }, body, now, 300)).toMatchObject({
      reason: 'signature',
    });
  });
});

describe('secret files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'secrets-'));

  it('loads several keys from a 0600 file', () => {
    const path = join(dir, 'ok.key');
    writeFileSync(path, `# current\n${generateSecret()}\n\n# previous\n${generateSecret()}\n`, {
      mode: 0o600,
    });
    expect(loadSecretFile(path)).toHaveLength(2);
  });

  it('refuses a file readable by group or others, saying how to fix it', () => {
    const path = join(dir, 'open.key');
    writeFileSync(path, generateSecret());
    chmodSync(path, 0o644);
    expect(() => loadSecretFile(path)).toThrow(/readable by group or others \(mode 644\); run: chmod 600/);
  });

  it('names the line of a malformed key', () => {
    expect(() => parseSecretText(`${generateSecret()}\nwhsec_tooshort\n`, 'peer.key')).toThrow(
      /^peer\.key:2: expected whsec_/,
    );
  });
});
