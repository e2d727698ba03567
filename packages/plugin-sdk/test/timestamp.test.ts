import { describe, expect, it } from 'vitest';
import { isRealTimestamp, parseTimestamp } from '../src/protocol/time.js';

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** The calendar as Date knows it: the last day of a month (UTC, proleptic Gregorian). */
const lastDay = (year: number, month: number) => {
  const d = new Date(0);
  d.setUTCFullYear(year, month, 0); // day 0 of the next month
  return d.getUTCDate();
};

const YEARS = [0, 1, 4, 100, 400, 1600, 1900, 1970, 2000, 2023, 2024, 2026, 2100, 2400, 9999];
const ENDINGS = ['Z', '.1Z', '.123456789Z', '+00:00', '-23:59', '+23:59', '.5-12:30'];

describe('isRealTimestamp', () => {
  it('accepts exactly the days of each month, in leap and common years, and Date agrees with each', () => {
    for (const year of YEARS) {
      for (let month = 1; month <= 12; month++) {
        const last = lastDay(year, month);
        for (const day of [1, 28, 29, 30, 31]) {
          for (const end of ENDINGS) {
            const text = `${pad(year, 4)}-${pad(month)}-${pad(day)}T23:59:59${end}`;
            expect(isRealTimestamp(text), text).toBe(day <= last);
            // What it accepts is an instant Date can hold: the reason it no longer asks Date.parse.
            if (day <= last) expect(Number.isFinite(Date.parse(text)), text).toBe(true);
          }
        }
      }
    }
  });

  it('refuses what the pattern refuses', () => {
    for (const text of [
      '2026-13-01T00:00:00Z',
      '2026-00-10T00:00:00Z',
      '2026-01-00T00:00:00Z',
      '2026-01-32T00:00:00Z',
      '2026-01-01T24:00:00Z',
      '2026-01-01T00:60:00Z',
      '2026-01-01T00:00:60Z',
      '2026-01-01T00:00:00',
      '2026-01-01T00:00:00.Z',
      '2026-01-01T00:00:00.1234567890Z',
      '2026-01-01T00:00:00+24:00',
      '2026-01-01 00:00:00Z',
      '+02026-01-01T00:00:00Z',
      '２０２６-01-01T00:00:00Z',
      '',
    ]) {
      expect(isRealTimestamp(text), text).toBe(false);
    }
  });

  it('parseTimestamp gives the instant of a real timestamp and nothing for another', () => {
    expect(parseTimestamp('2028-02-29T00:00:00.123456789+23:59')).toBe(
      Date.parse('2028-02-29T00:00:00.123456789+23:59'),
    );
    expect(parseTimestamp('2027-02-29T00:00:00Z')).toBeUndefined();
  });
});
