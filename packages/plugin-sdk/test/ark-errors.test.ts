import { type } from 'arktype';
import { describe, expect, it } from 'vitest';
import { isArkErrors, validate } from '../src/protocol/index.js';

describe('isArkErrors', () => {
  const Config = type({ 'domain?': 'string', ttl: 'number' });

  it("recognises arktype's errors by their brand, which another copy of arktype carries too", () => {
    const out = Config({ domain: 42 });
    expect(isArkErrors(out)).toBe(true);
    // What a second copy's errors share with these: not the class, the brand (an own enumerable key).
    expect(Object.hasOwn(out as object, ' arkKind')).toBe(true);
    expect((out as unknown as Record<string, unknown>)[' arkKind']).toBe('errors');
  });

  it('is false for any valid output, arrays and objects with a summary included', () => {
    for (const value of [
      { ttl: 1 },
      [],
      [{ message: 'x' }],
      { summary: 'x' },
      null,
      undefined,
      0,
      '',
      'errors',
    ]) {
      expect(isArkErrors(value), JSON.stringify(value)).toBe(false);
    }
    expect(isArkErrors(Config({ ttl: 1 }))).toBe(false);
  });

  it('makes validate refuse what the schema refuses, with JSON Pointer paths', () => {
    expect(validate(Config, { domain: 42 }, '/config')).toEqual({
      ok: false,
      issues: [
        { path: '/config/ttl', message: 'ttl must be a number (was missing)' },
        { path: '/config/domain', message: 'domain must be a string (was a number)' },
      ],
    });
  });
});
