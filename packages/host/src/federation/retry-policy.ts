/**
 * How the sender reacts to each outcome of a delivery attempt, and when it tries again.
 * Documented in docs/federation.md § Delivery status handling.
 */
export type AttemptOutcome =
  | { kind: 'delivered' }
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  | { kind: 'failed'; reason: string }
  | { kind: 'auth'; reason: string };

export function classifyStatus(
  status: number,
  retryAfterHeader: string | null | undefined,
  now: number,
): AttemptOutcome {
  if (status >= 200 && status < 300) return { kind: 'delivered' };
  if (status === 401) return { kind: 'auth', reason: 'http 401' };
  if (status === 408 || status === 425 || status === 429 || status >= 500) {
    return { kind: 'retry', reason: `http ${status}`, retryAfterMs: parseRetryAfter(retryAfterHeader, now) };
  }
  // 400/413/415/422 and anything else: sending the same body again cannot succeed.
  return { kind: 'failed', reason: `http ${status}` };
}

export function parseRetryAfter(header: string | null | undefined, now: number): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export interface BackoffPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  /** ±fraction of jitter, 0.2 = ±20 %. */
  jitter: number;
}

/**
 * Capped exponential backoff with jitter: attempt n (1-based) waits min(max, base·2^(n−1))·U(1−j, 1+j).
 * A Retry-After is honoured but clamped to [delay, 2·delay] and the cap, so a peer cannot stall us forever.
 */
export function nextDelayMs(
  policy: BackoffPolicy,
  attempt: number,
  retryAfterMs?: number,
  random = Math.random,
): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const jittered = exp * (1 - policy.jitter + 2 * policy.jitter * random());
  if (retryAfterMs === undefined) return Math.round(jittered);
  return Math.round(Math.min(policy.maxDelayMs, Math.max(jittered, Math.min(retryAfterMs, 2 * jittered))));
}

/**
 * The latest a retry scheduled now can be due under this policy: its cap with the most jitter. A retry due
 * later than this was scheduled before the wall clock stepped back (NTP correcting a clock that ran ahead,
 * an operator's `date`), and would otherwise wait as long as the step.
 */
export function latestRetryMs(policy: BackoffPolicy, now: number): number {
  return now + Math.ceil(policy.maxDelayMs * (1 + policy.jitter));
}

/** What is logged when retries are brought forward because the wall clock stepped back. */
export const CLOCK_STEPPED_BACK =
  'the clock stepped back: retries scheduled past the longest backoff are due sooner';
