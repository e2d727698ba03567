/**
 * Credentials out of whatever a tool printed, before it is journaled or logged. The tool's environment
 * holds none (the policy refuses them), but a tool can still echo a key it read from a profile or a
 * token it was issued (e.g. `aws configure list`, `--debug` output).
 */
const PATTERNS: readonly [RegExp, string][] = [
  // AWS access key ids: AKIA (long-term), ASIA (temporary), and the other documented prefixes.
  [/\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b/g, '[redacted-key-id]'],
  // `secret = value`, `"SecretAccessKey": "value"`, `token: value`, `password=value` in any case.
  [
    /((?:secret|token|password|passphrase|credential|signature)[A-Za-z_-]*["']?\s*[:=]\s*["']?)[^\s"',}]+/gi,
    '$1[redacted]',
  ],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g, '$1 [redacted]'],
  // JWTs (Azure and OCI tokens): three base64url segments.
  [/\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g, '[redacted-jwt]'],
  // A bare 40-character AWS secret access key.
  [/(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g, '[redacted-secret]'],
];

export function redactCredentials(text: string): string {
  return PATTERNS.reduce((t, [re, by]) => t.replace(re, by), text);
}

/** The last `bytes` of `text` (UTF-8), marked when cut. */
export function tail(text: string, bytes: number): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= bytes) return text;
  // Skip continuation bytes so the cut never splits a character.
  let start = buf.length - bytes;
  while (start < buf.length && (buf[start]! & 0xc0) === 0x80) start++;
  return `… (${start} bytes cut) ${buf.subarray(start).toString('utf8')}`;
}
