import type { Traversal } from 'arktype';
import { MAX_EVENT_BYTES, MAX_JSON_DEPTH } from './constants.js';
import { DURATION_PATTERN, MAX_DURATION_HOURS, MAX_DURATION_MS, parseDuration } from './duration.js';
import { jsonDepthWithin } from './json-depth.js';
import { jsonFitsBytes } from './json-size.js';
import { isRealTimestamp } from './time.js';

/**
 * A rule of the wire schemas that JSON Schema cannot say, written once and read in two forms: `narrow`
 * is what the arktype schema calls (with the words of its error), `holds` what the precompiled gates
 * call (gates/compiled.js, made from the same schemas by scripts/generate-schemas.mjs, which finds each
 * narrow in a schema by identity in this table). `holds` takes any value: a gate may ask before it has
 * checked the type.
 */
export interface Narrow<T> {
  holds(value: unknown): boolean;
  narrow(value: T, ctx: Traversal): boolean;
}

const isString = (value: unknown): value is string => typeof value === 'string';

function durationWithinBound(text: string): boolean {
  return parseDuration(text) <= MAX_DURATION_MS;
}

interface EventTimes {
  observedAt: string;
  expiresAt?: string | undefined;
}

const withinDepth = (value: unknown) => jsonDepthWithin(value, MAX_JSON_DEPTH);
const TOO_DEEP = { expected: `JSON nested at most ${MAX_JSON_DEPTH} levels deep`, actual: 'deeper' };

/** Checked before the size, whose walk is as deep as the value. */
const payloadWithinDepth = (event: object) => withinDepth((event as { payload?: unknown }).payload);

function fitsEventSize(event: unknown): boolean {
  return jsonFitsBytes(event, MAX_EVENT_BYTES);
}

function expiresAfterObserved(event: EventTimes): boolean {
  const { expiresAt, observedAt } = event;
  if (expiresAt === undefined) return true;
  // Two UTC timestamps of one length have every field at the same place, so their text orders as their
  // instants do (what a node writes: toISOString). Other spellings are parsed. A text that is no
  // timestamp at all is refused by the field's own rule, whatever this says.
  if (
    typeof expiresAt === 'string' &&
    typeof observedAt === 'string' &&
    expiresAt.length === observedAt.length &&
    expiresAt.endsWith('Z') &&
    observedAt.endsWith('Z')
  )
    return expiresAt > observedAt;
  return Date.parse(expiresAt) > Date.parse(observedAt);
}

export const narrows = {
  /** A timestamp the pattern lets through must still name a real instant (no 2026-02-30). */
  realTimestamp: {
    holds: (value) => isString(value) && isRealTimestamp(value),
    narrow: (text: string, ctx) => isRealTimestamp(text) || ctx.mustBe('a real calendar date and time'),
  } satisfies Narrow<string>,
  /** A duration added to any timestamp must stay a real date. */
  boundedDuration: {
    holds: (value) => isString(value) && DURATION_PATTERN.test(value) && durationWithinBound(value),
    narrow: (text: string, ctx) =>
      durationWithinBound(text) || ctx.mustBe(`a duration of at most ${MAX_DURATION_HOURS}h`),
  } satisfies Narrow<string>,
  /** `Record<string, unknown>` alone would also let an array through; and it nests at most MAX_JSON_DEPTH. */
  jsonObject: {
    holds: (value) => !Array.isArray(value) && withinDepth(value),
    narrow: (value: object, ctx) => {
      if (Array.isArray(value)) return ctx.mustBe('a JSON object (not an array)');
      return withinDepth(value) || ctx.reject(TOO_DEEP);
    },
  } satisfies Narrow<object>,
  /**
   * An event's payload nests at most MAX_JSON_DEPTH levels, the event is at most MAX_EVENT_BYTES as JSON,
   * and it expires after it was observed.
   */
  eventBounds: {
    holds: (value) =>
      value !== null &&
      typeof value === 'object' &&
      payloadWithinDepth(value) &&
      fitsEventSize(value) &&
      expiresAfterObserved(value as EventTimes),
    narrow: (event: EventTimes, ctx) => {
      if (!payloadWithinDepth(event)) return ctx.reject({ path: ['payload'], ...TOO_DEEP });
      if (!fitsEventSize(event)) {
        return ctx.reject({
          expected: `an event of at most ${MAX_EVENT_BYTES} bytes as JSON`,
          actual: 'larger',
        });
      }
      if (!expiresAfterObserved(event)) {
        return ctx.reject({
          path: ['expiresAt'],
          expected: 'a time after observedAt',
          actual: event.expiresAt,
        });
      }
      return true;
    },
  } satisfies Narrow<EventTimes>,
} as const;

export type NarrowName = keyof typeof narrows;
