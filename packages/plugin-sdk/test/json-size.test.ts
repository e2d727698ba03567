import { describe, expect, it } from 'vitest';
import { jsonDepthWithin } from '../src/protocol/json-depth.js';
import { jsonBytesAtMost, jsonFitsBytes } from '../src/protocol/json-size.js';

const exact = (v: unknown) => Buffer.byteLength(JSON.stringify(v) ?? '');

/** Values whose JSON text is longer than their characters: escapes, multi-byte UTF-8, lone surrogates. */
const samples: unknown[] = [
  '',
  'plain',
  '\u0000\u001f"\\\n',
  'é€😀',
  '\ud800 lone',
  -1.2345678901234567e-308,
  Number.MAX_VALUE,
  Number.NaN,
  true,
  null,
  [],
  [undefined, () => 1, Symbol('s'), 1],
  { a: undefined, 'ké\u0001y': ['x', { n: 0 }], f: () => 0 },
  { id: '01JABCDEFGHJKMNPQRSTVWXYZ0', payload: { address: '10.88.60.9/32', note: '\u0007'.repeat(50) } },
];

describe('jsonBytesAtMost', () => {
  it.each(samples.map((v) => [v]))('is never below the JSON text’s UTF-8 size: %j', (value) => {
    expect(jsonBytesAtMost(value, Number.MAX_SAFE_INTEGER)).toBeGreaterThanOrEqual(exact(value));
  });

  it('stops once the budget is passed, so a cycle costs no more than the budget', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(jsonBytesAtMost(cycle, 1000)).toBeGreaterThan(1000);
  });
});

describe('jsonFitsBytes', () => {
  it('gives JSON.stringify’s verdict either side of the limit, escapes included', () => {
    for (const size of [100, 1000, 10_000]) {
      // Each control character is 6 bytes as JSON: the walk's bound cannot clear these, so they are measured.
      const escaped = { note: '\u0001'.repeat(size) };
      const bytes = exact(escaped);
      expect(jsonFitsBytes(escaped, bytes)).toBe(true);
      expect(jsonFitsBytes(escaped, bytes - 1)).toBe(false);
      const multiByte = { note: '€'.repeat(size) };
      expect(jsonFitsBytes(multiByte, exact(multiByte))).toBe(true);
      expect(jsonFitsBytes(multiByte, exact(multiByte) - 1)).toBe(false);
    }
  });

  it('measures what defines its own JSON (toJSON) rather than guessing', () => {
    const date = { at: new Date(0) };
    expect(jsonFitsBytes(date, exact(date))).toBe(true);
    expect(jsonFitsBytes(date, exact(date) - 1)).toBe(false);
  });

  it('still throws where JSON.stringify throws (a cycle, a bigint)', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => jsonFitsBytes(cycle, 1000)).toThrow(TypeError);
    expect(() => jsonFitsBytes({ n: 1n }, 1000)).toThrow(TypeError);
  });
});

describe('jsonDepthWithin', () => {
  it('counts levels of objects and arrays: a scalar is 0, {} 1, {"a": [1]} 2', () => {
    expect(jsonDepthWithin('x', 0)).toBe(true);
    expect(jsonDepthWithin(null, 0)).toBe(true);
    expect(jsonDepthWithin({}, 0)).toBe(false);
    expect(jsonDepthWithin({}, 1)).toBe(true);
    expect(jsonDepthWithin({ a: [1] }, 1)).toBe(false);
    expect(jsonDepthWithin({ a: [1] }, 2)).toBe(true);
    // The deepest branch decides, wherever it is.
    expect(jsonDepthWithin([1, { b: 2 }, [[[]]]], 3)).toBe(false);
    expect(jsonDepthWithin([1, { b: 2 }, [[[]]]], 4)).toBe(true);
  });

  it('walks no deeper than its bound: a value of any depth, or a cycle, is refused without a RangeError', () => {
    let deep: unknown = [];
    for (let i = 0; i < 1_000_000; i++) deep = [deep];
    expect(jsonDepthWithin(deep, 32)).toBe(false);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(jsonDepthWithin(cycle, 32)).toBe(false);
  });
});
