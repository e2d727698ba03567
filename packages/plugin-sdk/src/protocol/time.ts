/**
 * RFC 3339 date-times as the protocol spells them (`2026-11-27T06:00:00Z`, `…T06:00:00.123+02:00`), with
 * every field range-checked by the pattern; `isRealTimestamp` adds what a pattern cannot say (the days of
 * each month). Every instant the pattern admits fits a JavaScript Date (years 0000–9999 with offsets of
 * under a day, far inside its ±275,760 years), so Date.parse is not needed to know it is real: the
 * fields are read off their fixed positions, which costs a tenth of a parse.
 */
export const TIMESTAMP_PATTERN =
  /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const ZERO = 0x30;

/** The number written by the digits of `text` from `start` to `end` (positions the pattern has checked). */
function digitsAt(text: string, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) n = n * 10 + text.charCodeAt(i) - ZERO;
  return n;
}

export function isRealTimestamp(text: string): boolean {
  if (!TIMESTAMP_PATTERN.test(text)) return false;
  const day = digitsAt(text, 8, 10);
  if (day <= 28) return true;
  const month = digitsAt(text, 5, 7);
  const year = digitsAt(text, 0, 4);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!);
}

/** Milliseconds since the epoch of a timestamp, or undefined when it is not a real one. */
export function parseTimestamp(text: string): number | undefined {
  return isRealTimestamp(text) ? Date.parse(text) : undefined;
}
