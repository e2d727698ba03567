/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) as the CloudEvents distributed tracing
 * extension carries it (`traceparent`, `tracestate`). A traceparent is a fixed-format 55-character
 * string, so a strict pattern plus the all-zero rule is the whole parser; no library is needed for it.
 * Only version 00 is accepted: it is the only one defined, and a later version's extra fields would be
 * dropped by a writer that does not know them.
 */

/** 00-<trace id: 32 hex, not all zero>-<span id: 16 hex, not all zero>-<flags: 2 hex>. */
export const TRACEPARENT_PATTERN = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

const KEY = '(?:[a-z][_0-9a-z*/-]{0,255}|[a-z0-9][_0-9a-z*/-]{0,240}@[a-z][_0-9a-z*/-]{0,13})';
const VALUE = '[\\x20-\\x2b\\x2d-\\x3c\\x3e-\\x7e]{0,255}[\\x21-\\x2b\\x2d-\\x3c\\x3e-\\x7e]';
const MEMBER = `${KEY}=${VALUE}`;
/** The W3C tracestate list: key=value members separated by commas (and optional blanks). */
export const TRACESTATE_PATTERN = new RegExp(`^${MEMBER}(?:[ \\t]*,[ \\t]*${MEMBER})*$`);
/** W3C: a tracestate may be truncated by whoever passes it on beyond 512 characters. */
export const MAX_TRACESTATE_LENGTH = 512;
/** W3C: at most 32 list members. */
const MAX_TRACESTATE_MEMBERS = 32;
/** routerd's own tracestate member: the span id of the event that caused this one. */
const CAUSE_KEY = 'routerd';

/** The trace attributes of an event. */
export interface TraceContext {
  traceparent: string;
  tracestate?: string;
}

/**
 * The trace context a stored thing carries (an event, a journaled execution, a claim row): its
 * traceparent with its tracestate when it has one; none without a traceparent. Not a check: for values
 * this node stored itself (receivedTraceContext checks what a peer sent).
 */
export function traceContextOf(carrier: {
  traceparent?: string | null | undefined;
  tracestate?: string | null | undefined;
}): TraceContext | undefined {
  const { traceparent, tracestate } = carrier;
  if (traceparent == null) return undefined;
  return tracestate == null ? { traceparent } : { traceparent, tracestate };
}

export function isTraceParent(value: unknown): value is string {
  return typeof value === 'string' && TRACEPARENT_PATTERN.test(value);
}

export function isTraceState(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_TRACESTATE_LENGTH && TRACESTATE_PATTERN.test(value);
}

/**
 * The trace attributes a receiver keeps of what it was sent: a malformed traceparent is dropped with its
 * tracestate (W3C § 4.3: without a valid parent the state means nothing), a malformed tracestate alone.
 * Never a refusal: a trace is a diagnostic aid, and the event is the fact.
 */
export function receivedTraceContext(traceparent: unknown, tracestate: unknown): TraceContext | undefined {
  if (!isTraceParent(traceparent)) return undefined;
  return isTraceState(tracestate) ? { traceparent, tracestate } : { traceparent };
}

/** A new trace: where an observation is born (a plugin's publish, a control API emit). */
export function newTraceContext(): TraceContext {
  const bytes = randomHex(24);
  return { traceparent: `00-${nonZero(bytes.slice(0, 32))}-${nonZero(bytes.slice(32))}-01` };
}

/**
 * The context of an event caused by another: the same trace id and flags, a new span id, and the
 * cause's span id as the `routerd` member at the front of tracestate (W3C § 3.5: an updated member moves
 * to the left), so a node that receives only the child still knows its parent.
 */
export function childTraceContext(cause: TraceContext): TraceContext {
  const [, traceId, causeSpan, flags] = cause.traceparent.split('-');
  const others = (cause.tracestate ?? '')
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m !== '' && !m.startsWith(`${CAUSE_KEY}=`))
    .slice(0, MAX_TRACESTATE_MEMBERS - 1);
  let tracestate = [`${CAUSE_KEY}=${causeSpan}`, ...others].join(',');
  // Members are dropped from the right until the list fits (W3C § 3.3.1.5).
  while (tracestate.length > MAX_TRACESTATE_LENGTH)
    tracestate = tracestate.slice(0, tracestate.lastIndexOf(','));
  const span = nonZero(randomHex(8));
  return { traceparent: `00-${traceId}-${span}-${flags}`, tracestate };
}

export function traceIdOf(traceparent: string): string {
  return traceparent.slice(3, 35);
}

export function spanIdOf(traceparent: string): string {
  return traceparent.slice(36, 52);
}

/** The span id of the event that caused this one, when a routerd node recorded it. */
export function causeSpanOf(tracestate: string | undefined): string | undefined {
  const member = tracestate
    ?.split(',')
    .map((m) => m.trim())
    .find((m) => m.startsWith(`${CAUSE_KEY}=`));
  const span = member?.slice(CAUSE_KEY.length + 1);
  return span && /^[0-9a-f]{16}$/.test(span) ? span : undefined;
}

/** An id of random bytes is all zero once in 2^64 draws or more; W3C calls that one invalid. */
function nonZero(hex: string): string {
  return /^0+$/.test(hex) ? `${hex.slice(0, -1)}1` : hex;
}

/** Byte → two lowercase hex digits. */
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));
/**
 * Random bytes drawn 4 KiB at a time from Web Crypto's generator (global in Node 20; the protocol module
 * imports nothing of Node): one call per id cost ~5 µs, more than the rest of an emit's trace work.
 */
const pool = new Uint8Array(4096);
let poolAt = pool.length;

function randomHex(length: number): string {
  if (poolAt + length > pool.length) {
    globalThis.crypto.getRandomValues(pool);
    poolAt = 0;
  }
  let hex = '';
  for (let i = 0; i < length; i++) hex += HEX[pool[poolAt++]!];
  return hex;
}
