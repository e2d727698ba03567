/** Durations are Go-style strings ("300ms", "5s", "30m", "1h30m"): the same spelling in YAML, results and the CLI. */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
export const DURATION_PATTERN = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
/**
 * The longest duration anything accepts: ten years. Larger values (`99999999999h`) overflow what a Date
 * can hold once added to a timestamp; narrower bounds (timers, TTLs) are set where a duration is used.
 */
export const MAX_DURATION_HOURS = 87_600;
export const MAX_DURATION_MS = MAX_DURATION_HOURS * 3_600_000;

/**
 * Durations already read, by their text. A host checks the TTL of every event it is given, and a batch
 * of observations nearly always shares one or two spellings ("5m"): the pattern and the parts read
 * once each, not once per event (issue 18). Bounded: emptied when full, so input of ever new spellings
 * costs what it did without it.
 */
const parsed = new Map<string, number>();
const PARSED_KEPT = 64;
/** Longer texts (the pattern repeats without bound) are read every time, never kept. */
const PARSED_KEPT_CHARS = 32;

export function parseDuration(text: string): number {
  const known = parsed.get(text);
  if (known !== undefined) return known;
  const ms = readDuration(text);
  if (text.length <= PARSED_KEPT_CHARS) {
    if (parsed.size >= PARSED_KEPT) parsed.clear();
    parsed.set(text, ms);
  }
  return ms;
}

function readDuration(text: string): number {
  if (text === '0') return 0;
  if (!DURATION_PATTERN.test(text)) {
    throw new Error(
      `invalid duration "${text}": expected a number with a unit (ms, s, m, h), e.g. 300s or 1h30m`,
    );
  }
  let total = 0;
  for (const m of text.matchAll(PART)) total += Number(m[1]) * (UNIT_MS[m[2]!] ?? 0);
  return Math.round(total);
}

export function isDuration(text: string): boolean {
  return text === '0' || DURATION_PATTERN.test(text);
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
