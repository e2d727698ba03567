import { MAX_JSON_DEPTH } from '@routerd/plugin-sdk';

/**
 * How deep may a request body nest, checked on its bytes before it is parsed? Far below what makes a
 * recursive walk overflow the stack, and deeper than any valid batch (the array, the event, then its
 * data, which the event rules let nest MAX_JSON_DEPTH levels), so an event nested too deep is refused by
 * those rules, with the field named, and only a body far deeper by this scan.
 */
export const MAX_BODY_DEPTH = 64;
if (MAX_BODY_DEPTH < MAX_JSON_DEPTH + 2) throw new Error('MAX_BODY_DEPTH must hold a valid batch');

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
   * When the whole text is one array with only JSON whitespace around it: where its `[` is, and where
   * each of its elements ends (the offset of the comma or `]` after it; an empty element too, as in
   * `[1,]` or `[]`). One number per element, from which each is found (elementSpan) and measured as
   * sent (elementBytes) without serialising it again. Undefined for anything else.
   */
  array?: { open: number; ends: number[] };
}

/**
 * One pass over raw JSON bytes, before anything is parsed: bracket depth outside strings, and where each
 * element of a top-level array ends. Strings are skipped with a native search for their closing quote
 * (most of an event's bytes are in strings). Multi-byte UTF-8 sequences only hold bytes >= 0x80, so they
 * can never be mistaken for a bracket, a comma or a quote. Text that is not JSON is scanned as far as it
 * goes; JSON.parse refuses it afterwards.
 */
export function scanJson(raw: Uint8Array, max = MAX_BODY_DEPTH): JsonScan {
  const ends: number[] = [];
  let depth = 0;
  // The first top-level array: where it opened, and where it closed (-1 while open).
  let open = -1;
  let close = -1;
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i];
    if (b === QUOTE) {
      i = closingQuote(raw, i);
    } else if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
      if (++depth > max) return { tooDeepAt: i };
      if (depth === 1 && b === OPEN_ARRAY && open < 0) open = i;
    } else if (b === CLOSE_ARRAY || b === CLOSE_OBJECT) {
      if (depth === 1 && open >= 0 && close < 0) {
        ends.push(i);
        close = i;
      }
      depth--;
    } else if (b === COMMA && depth === 1 && open >= 0 && close < 0) {
      ends.push(i);
    }
  }
  // One array and nothing else: whitespace before its `[` and after its `]`, and `]` is what closed it.
  const whole =
    open >= 0 &&
    close >= 0 &&
    raw[close] === CLOSE_ARRAY &&
    onlyWhitespace(raw, 0, open) &&
    onlyWhitespace(raw, close + 1, raw.length);
  return whole ? { array: { open, ends } } : {};
}

/** Element k of a scanned array as byte offsets [start, end), whitespace around it included. */
export function elementSpan(array: NonNullable<JsonScan['array']>, k: number): [number, number] {
  const start = k === 0 ? array.open + 1 : array.ends[k - 1]! + 1;
  return [start, array.ends[k]!];
}

/** The length in bytes of element k of a scanned array as it was sent, whitespace around it included. */
export function elementBytes(array: NonNullable<JsonScan['array']>, k: number): number {
  const [start, end] = elementSpan(array, k);
  return end - start;
}

/**
 * Whether raw[from, to) holds only JSON's own whitespace (RFC 8259 § 2), the only kind JSON.parse takes
 * around a value.
 */
function onlyWhitespace(raw: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const b = raw[i];
    if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return false;
  }
  return true;
}

/** The scan's depth check alone: the offset where the text first nests deeper than `max`, or undefined. */
export function nestingTooDeepAt(raw: Uint8Array, max = MAX_BODY_DEPTH): number | undefined {
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
