/**
 * RFC 3339 date-times as the protocol spells them (`2026-11-27T06:00:00Z`, `…T06:00:00.123+02:00`), with
 * every field range-checked by the pattern; `isRealTimestamp` adds what a pattern cannot say (the days of
 * each month) and that the instant fits a JavaScript Date.
 */
export const TIMESTAMP_PATTERN =
  /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function isRealTimestamp(text: string): boolean {
  if (!TIMESTAMP_PATTERN.test(text)) return false;
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(5, 7));
  const day = Number(text.slice(8, 10));
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
  return day <= days && Number.isFinite(Date.parse(text));
}

/** Milliseconds since the epoch of a timestamp, or undefined when it is not a real one. */
export function parseTimestamp(text: string): number | undefined {
  return isRealTimestamp(text) ? Date.parse(text) : undefined;
}
