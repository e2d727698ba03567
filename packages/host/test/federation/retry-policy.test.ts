import { describe, expect, it } from 'vitest';
import {
  classifyStatus,
  latestRetryMs,
  nextDelayMs,
  parseRetryAfter,
} from '../../src/federation/retry-policy.js';

const NOW = Date.parse('2026-11-27T06:00:00Z');

const policy = { baseDelayMs: 1000, maxDelayMs: 300_000, jitter: 0.2 };

describe('retry policy', () => {
  it('doubles from the base delay up to the cap, with bounded jitter', () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4, 9, 10, 20].map((n) => nextDelayMs(policy, n, undefined, mid))).toEqual([
      1000, 2000, 4000, 8000, 256_000, 300_000, 300_000,
    ]);
    expect(nextDelayMs(policy, 1, undefined, () => 0)).toBe(800);
    expect(nextDelayMs(policy, 1, undefined, () => 1)).toBe(1200);
  });

  it('no delay it gives ends after latestRetryMs, which is what tells a clock stepped back from a retry', () => {
    const edges = [() => 0, () => 0.5, () => 0.999_999, () => 1];
    let longest = 0;
    for (const random of edges)
      for (const attempt of [1, 2, 9, 10, 50])
        for (const retryAfter of [undefined, 0, 5000, 600_000, 10 ** 9])
          longest = Math.max(longest, nextDelayMs(policy, attempt, retryAfter, random));
    expect(longest).toBe(360_000);
    expect(latestRetryMs(policy, NOW)).toBe(NOW + 360_000);
  });

  it('honours Retry-After within [delay, 2·delay] and the cap', () => {
    const mid = () => 0.5;
    expect(nextDelayMs(policy, 3, 6000, mid)).toBe(6000);
    expect(nextDelayMs(policy, 3, 60_000, mid)).toBe(8000);
    expect(nextDelayMs(policy, 3, 10, mid)).toBe(4000);
    expect(nextDelayMs(policy, 12, 3_600_000, mid)).toBe(300_000);
  });

  it('classifies statuses as the docs say', () => {
    expect(classifyStatus(200, undefined, NOW).kind).toBe('delivered');
    expect(classifyStatus(207, undefined, NOW).kind).toBe('delivered');
    for (const s of [408, 429, 500, 502, 503]) expect(classifyStatus(s, undefined, NOW).kind).toBe('retry');
    for (const s of [400, 403, 404, 410, 413, 415, 422])
      expect(classifyStatus(s, undefined, NOW).kind).toBe('failed');
    expect(classifyStatus(401, undefined, NOW).kind).toBe('auth');
    expect(classifyStatus(503, '7', NOW)).toMatchObject({ kind: 'retry', retryAfterMs: 7000 });
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-11-27T06:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Fri, 27 Nov 2026 06:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});
