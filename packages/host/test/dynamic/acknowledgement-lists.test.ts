// How much of a list an acknowledgement keeps: what fits the byte budget as JSON, in order; the rest
// counted (the event as a whole must stay within MAX_EVENT_BYTES).
import { describe, expect, it } from 'vitest';
import { ACK_LIST_BYTES, fitting } from '../../src/dynamic/acknowledgements.js';

const jsonBytes = (items: string[]) => Buffer.byteLength(JSON.stringify(items));

describe('fitting', () => {
  it('keeps a list that fits whole', () => {
    expect(fitting(['a', 'b'])).toEqual({ kept: ['a', 'b'], omitted: 0 });
    expect(fitting([])).toEqual({ kept: [], omitted: 0 });
  });

  it('keeps the first items whose JSON fits, counting bytes (not characters) and escapes', () => {
    const items = Array.from({ length: 100 }, (_, i) => `é"${i}`); // 2 bytes for é, 2 for the escaped quote
    const { kept, omitted } = fitting(items, 200);
    expect(kept).toEqual(items.slice(0, kept.length));
    expect(kept.length + omitted).toBe(100);
    expect(jsonBytes(kept)).toBeLessThanOrEqual(200);
    expect(jsonBytes(items.slice(0, kept.length + 1))).toBeGreaterThan(200);
  });

  it('bounds a batch of 10,000 of the longest ids an event may carry', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `${String(i).padStart(5, '0')}${'x'.repeat(123)}`);
    const { kept, omitted } = fitting(ids);
    expect(jsonBytes(kept)).toBeLessThanOrEqual(ACK_LIST_BYTES);
    expect(omitted).toBe(10_000 - kept.length);
  });
});
