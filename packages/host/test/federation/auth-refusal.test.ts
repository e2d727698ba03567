// A 401's Date header against our clock: the clock is named when it is further off than the replay window.
import { describe, expect, it } from 'vitest';
import { clockOffsetFromDate, describeAuthRefusal } from '../../src/federation/auth-refusal.js';

const WINDOW = 300_000;

describe('describeAuthRefusal', () => {
  it('names the clock, and which way, beyond the replay window', () => {
    expect(describeAuthRefusal('http 401: unauthorized', 600_400, WINDOW)).toEqual({
      cause: 'clock',
      clockOffsetMs: 600_400,
      message:
        "http 401: unauthorized: the peer's clock is 600 s ahead of ours (its Date header), beyond the replay window (300 s): synchronise clocks",
    });
    expect(describeAuthRefusal('http 401', -599_600, WINDOW).message).toMatch(
      /the peer's clock is 600 s behind ours/,
    );
  });

  it('names the key when the clocks agree, or when no Date header says otherwise', () => {
    expect(describeAuthRefusal('http 401', 299_000, WINDOW)).toMatchObject({
      cause: 'key',
      message:
        'http 401: the peer refuses our signature: check that both sides hold the same key (the clocks agree within 299 s)',
    });
    expect(describeAuthRefusal('http 401', 200, WINDOW).message).toMatch(/agree within 1 s\)$/);
    expect(describeAuthRefusal('http 401', undefined, WINDOW)).toEqual({
      cause: 'key',
      message:
        'http 401: the peer refuses our signature: check that both sides hold the same key and that the clocks agree within the replay window (300 s)',
    });
  });

  it('reads an HTTP Date header; anything else is no offset', () => {
    const ours = Date.parse('2026-11-27T06:00:00Z');
    expect(clockOffsetFromDate('Fri, 27 Nov 2026 06:10:00 GMT', ours)).toBe(600_000);
    expect(clockOffsetFromDate('not a date', ours)).toBeUndefined();
    expect(clockOffsetFromDate(undefined, ours)).toBeUndefined();
  });
});
