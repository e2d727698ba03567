/**
 * How deep may a request body nest? Deep enough for any event (batch array, event, data, a few levels
 * of payload), far below what makes JSON.parse or a recursive validator overflow the stack.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Scan raw JSON bytes for bracket depth outside strings, without parsing: the byte offset of the first
 * `[` or `{` that opens level `max + 1`, or undefined if the text never nests that deep. Multi-byte
 * UTF-8 sequences only hold bytes >= 0x80, so they can never be mistaken for a bracket or a quote.
 */
export function nestingTooDeepAt(raw: Uint8Array, max = MAX_JSON_DEPTH): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i];
    if (inString) {
      // A backslash escapes the next byte, whatever it is.
      if (b === 0x5c) i++;
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) {
      inString = true;
    } else if (b === 0x5b || b === 0x7b) {
      if (++depth > max) return i;
    } else if (b === 0x5d || b === 0x7d) {
      depth--;
    }
  }
  return undefined;
}
