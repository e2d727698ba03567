/**
 * What a peer's 401 means. Its body is deliberately generic (a receiver must not be a signing oracle), but
 * its HTTP `Date` header says what its clock reads: further from ours than the replay window, and the
 * refusal is the clock's doing, not the key's — the two need different fixes, on different routers.
 */
export type AuthRefusalCause = 'clock' | 'key';

export interface AuthRefusal {
  cause: AuthRefusalCause;
  /** The peer's clock minus ours, when its answer carried a Date header. */
  clockOffsetMs?: number;
  /** The peer's last error as routerctl, the control API and the log show it. */
  message: string;
}

/** The peer's clock minus ours from its `Date` header (whole seconds), or undefined without a usable one. */
export function clockOffsetFromDate(dateHeader: string | undefined, ourNowMs: number): number | undefined {
  if (dateHeader === undefined) return undefined;
  const theirs = Date.parse(dateHeader);
  return Number.isFinite(theirs) ? theirs - ourNowMs : undefined;
}

export function describeAuthRefusal(
  reason: string,
  clockOffsetMs: number | undefined,
  replayWindowMs: number,
): AuthRefusal {
  const window = Math.round(replayWindowMs / 1000);
  if (clockOffsetMs !== undefined && Math.abs(clockOffsetMs) > replayWindowMs) {
    const seconds = Math.round(Math.abs(clockOffsetMs) / 1000);
    const direction = clockOffsetMs > 0 ? 'ahead of' : 'behind';
    return {
      cause: 'clock',
      clockOffsetMs,
      message: `${reason}: the peer's clock is ${seconds} s ${direction} ours (its Date header), beyond the replay window (${window} s): synchronise clocks`,
    };
  }
  const clocks =
    clockOffsetMs === undefined
      ? `and that the clocks agree within the replay window (${window} s)`
      : `(the clocks agree within ${Math.max(1, Math.round(Math.abs(clockOffsetMs) / 1000))} s)`;
  return {
    cause: 'key',
    ...(clockOffsetMs === undefined ? {} : { clockOffsetMs }),
    message: `${reason}: the peer refuses our signature: check that both sides hold the same key ${clocks}`,
  };
}
