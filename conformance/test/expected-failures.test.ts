import { describe, expect, it } from 'vitest';
import { parseExpectedFailures } from '../src/expected-failures.js';

describe('expected-failures files', () => {
  it('read a list of ids, a list with reasons, or a map', () => {
    expect(parseExpectedFailures('- lifecycle.ping\n- id: robustness\n  reason: later\n')).toEqual([
      { entry: 'lifecycle.ping' },
      { entry: 'robustness', reason: 'later' },
    ]);
    expect(parseExpectedFailures('lifecycle.ping: not yet\ntransport.crlf:\n')).toEqual([
      { entry: 'lifecycle.ping', reason: 'not yet' },
      { entry: 'transport.crlf' },
    ]);
    expect(parseExpectedFailures('')).toEqual([]);
  });

  it('refuse anything else with the file name', () => {
    expect(() => parseExpectedFailures('- { ids: x }', 'debt.yaml')).toThrow(/debt.yaml/);
    expect(() => parseExpectedFailures('42')).toThrow();
  });
});
