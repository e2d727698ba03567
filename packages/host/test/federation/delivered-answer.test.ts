import { describe, expect, it } from 'vitest';
import { readDeliveredAnswer } from '../../src/federation/delivered-answer.js';

const sent = ['a', 'b', 'c'].map((id) => ({ id }));

describe("readDeliveredAnswer: a peer's 2xx answer, read as a claim about its batch", () => {
  it("takes the receiver's answer as it is", () => {
    expect(
      readDeliveredAnswer(
        { accepted: ['a'], duplicates: ['c'], rejected: [{ id: 'b', reason: 'expired' }] },
        sent,
      ),
    ).toEqual({ rejected: new Map([['b', 'expired']]) });
    expect(readDeliveredAnswer({ accepted: ['a', 'b', 'c'], duplicates: [], rejected: [] }, sent)).toEqual({
      rejected: new Map(),
    });
  });

  it('an answer with no rejected list, or none at all, rejects nothing and is not unreadable', () => {
    for (const answer of [undefined, null, 'ok', 7, {}, { accepted: ['a', 'b', 'c'] }])
      expect(readDeliveredAnswer(answer, sent), JSON.stringify(answer)).toEqual({ rejected: new Map() });
  });

  it('ignores, and names, what is not about this batch or not of the shape', () => {
    expect(
      readDeliveredAnswer(
        {
          rejected: [
            { id: 'b', reason: 'id-conflict' },
            { id: 'z', reason: 'expired' },
            { id: 'y', reason: 'expired' },
            { id: 'c' },
            'a',
          ],
        },
        sent,
      ),
    ).toEqual({
      rejected: new Map([['b', 'id-conflict']]),
      unreadable: '2 rejected ids not in the batch; 2 rejected entries without a string id and reason',
    });
    expect(readDeliveredAnswer({ rejected: { a: 'expired' } }, sent)).toEqual({
      rejected: new Map(),
      unreadable: '`rejected` is not a list',
    });
  });

  it('keeps a reason to 200 characters', () => {
    const long = 'x'.repeat(10_000);
    expect(
      readDeliveredAnswer({ rejected: [{ id: 'a', reason: long }] }, sent).rejected.get('a'),
    ).toHaveLength(200);
  });
});
