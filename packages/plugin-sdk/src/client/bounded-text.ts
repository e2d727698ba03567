/**
 * Text a plugin controls (log lines, error messages) is cut to a bound before the host logs or stores
 * it, so a hostile or broken plugin cannot fill the host's log or ledgers with one string.
 */

/** The bound on one plugin log line as the host logs it (docs/protocol.md § 11). */
export const MAX_LOG_LINE_BYTES = 4 * 1024;
/** The bound on a plugin-supplied string kept in a ledger, e.g. a JSON-RPC error message. */
export const MAX_STORED_TEXT_BYTES = 2 * 1024;

/**
 * `text` when it fits in `maxBytes` of UTF-8; otherwise its head, cut on a character boundary, and
 * "… (truncated, N bytes)" where N is the original size (`totalBytes` when the caller already dropped
 * part of it), the whole at most `maxBytes`.
 */
export function truncateUtf8(text: string, maxBytes: number, totalBytes?: number): string {
  // Fast path: no UTF-16 unit takes more than 3 UTF-8 bytes.
  if (totalBytes === undefined && text.length * 3 <= maxBytes) return text;
  const buf = Buffer.from(text, 'utf8');
  const total = totalBytes ?? buf.length;
  if (total <= maxBytes && buf.length <= maxBytes) return text;
  const marker = `… (truncated, ${total} bytes)`;
  let end = Math.max(0, maxBytes - Buffer.byteLength(marker));
  // Back up over continuation bytes (10xxxxxx) so the head ends on a character boundary.
  while (end > 0 && end < buf.length && (buf[end]! & 0xc0) === 0x80) end--;
  return `${buf.subarray(0, end).toString('utf8')}${marker}`;
}
