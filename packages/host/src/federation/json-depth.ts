/**
 * How deep may a request body nest? Deep enough for any event (batch array, event, data, a few levels
 * of payload), far below what makes JSON.parse or a recursive validator overflow the stack.
 */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

export interface JsonScan {
  /** The byte offset of the first `[` or `{` that opens level max + 1, when the text nests that deep. */
  tooDeepAt?: number;
  /**
   * When the text is an array: the length in bytes of each of its elements as sent (whitespace around
   * it included), so each event of a batch is measured without serialising it again.
   */
  itemBytes: number[];
}

/**
 * One pass over raw JSON bytes, before anything is parsed: bracket depth outside strings, and the span
 * of each element of a top-level array. Strings are skipped with a native search for their closing
 * quote (most of an event's bytes are in strings). Multi-byte UTF-8 sequences only hold bytes >= 0x80,
 * so they can never be mistaken for a bracket, a comma or a quote. Text that is not JSON is scanned as
 * far as it goes; JSON.parse refuses it afterwards.
 */
export function scanJson(raw: Uint8Array, max = MAX_JSON_DEPTH): JsonScan {
  const itemBytes: number[] = [];
  let depth = 0;
  let itemStart = -1;
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i];
    if (b === QUOTE) {
      i = closingQuote(raw, i);
    } else if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
      if (++depth > max) return { tooDeepAt: i, itemBytes };
      if (depth === 1 && b === OPEN_ARRAY) itemStart = i + 1;
    } else if (b === CLOSE_ARRAY || b === CLOSE_OBJECT) {
      if (depth === 1 && itemStart >= 0 && i > itemStart) itemBytes.push(i - itemStart);
      depth--;
    } else if (b === COMMA && depth === 1 && itemStart >= 0) {
      itemBytes.push(i - itemStart);
      itemStart = i + 1;
    }
  }
  return { itemBytes };
}

/** The scan's depth check alone: the offset where the text first nests deeper than `max`, or undefined. */
export function nestingTooDeepAt(raw: Uint8Array, max = MAX_JSON_DEPTH): number | undefined {
  return scanJson(raw, max).tooDeepAt;
}

/** The offset of the quote closing the string opened at `open` (one preceded by an even run of backslashes). */
function closingQuote(raw: Uint8Array, open: number): number {
  let at = open;
  for (;;) {
    at = raw.indexOf(QUOTE, at + 1);
    if (at < 0) return raw.length;
    let backslashes = 0;
    while (raw[at - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
}
