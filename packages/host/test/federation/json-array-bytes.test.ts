// A push's body written item by item must be, byte for byte, what joining the items and encoding the
// text gives: the receiver verifies its signature over exactly these bytes.
import { describe, expect, it } from 'vitest';
import { jsonArrayBytes } from '../../src/federation/json-array-bytes.js';
import { seededRandom } from '../seeded-random.js';

const joined = (items: string[]) => Buffer.from(`[${items.join(',')}]`, 'utf8');

// ASCII, 2-byte, 3-byte, a surrogate pair (4 bytes), and lone surrogates (written as U+FFFD).
const PIECES = ['a', '"', '\\', 'é', 'µ', '→', '中', '😀', '\ud800', '\udfff'];

describe('jsonArrayBytes', () => {
  it('is the joined text encoded, for none, one and several items', () => {
    for (const items of [[], ['{}'], ['{"a":1}', '{"b":"x"}', '[]']])
      expect(jsonArrayBytes(items).equals(joined(items))).toBe(true);
  });

  it('grows past its first guess for text that is not ASCII, whatever falls on the boundary', () => {
    const next = seededRandom(18);
    for (let round = 0; round < 300; round++) {
      const items = Array.from({ length: 1 + Math.floor(next() * 8) }, () =>
        Array.from(
          { length: Math.floor(next() * 40) },
          () => PIECES[Math.floor(next() * PIECES.length)],
        ).join(''),
      );
      expect(jsonArrayBytes(items).equals(joined(items)), JSON.stringify(items)).toBe(true);
    }
  });

  it('writes a body of 500 CloudEvents as the same bytes', () => {
    const items = Array.from({ length: 500 }, (_, i) =>
      JSON.stringify({
        specversion: '1.0',
        id: `e-${i}`,
        data: { address: `10.0.${i >> 8}.${i & 255}/32`, note: 'café' },
      }),
    );
    expect(jsonArrayBytes(items).equals(joined(items))).toBe(true);
  });
});
