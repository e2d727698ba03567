// The receiver's two pre-parse checks as pure functions: the media type and the scan (bracket depth, and
// the size of each event of a batch as sent).
import { describe, expect, it } from 'vitest';
import { MAX_BODY_DEPTH, nestingTooDeepAt, scanJson } from '../../src/federation/json-depth.js';
import { parseMediaType } from '../../src/federation/media-type.js';

describe('parseMediaType', () => {
  it.each([
    ['application/cloudevents-batch+json', 'application/cloudevents-batch+json', {}],
    ['Application/CloudEvents-Batch+JSON', 'application/cloudevents-batch+json', {}],
    [' application/cloudevents+json ;charset=UTF-8', 'application/cloudevents+json', { charset: 'UTF-8' }],
    [
      'application/cloudevents+json; CharSet="utf-8"; x=1',
      'application/cloudevents+json',
      { charset: 'utf-8', x: '1' },
    ],
    ['application/cloudevents+json; q="a\\"b;c"', 'application/cloudevents+json', { q: 'a"b;c' }],
    ['application/cloudevents+json;', 'application/cloudevents+json', {}],
  ])('parses %j', (header, essence, params) => {
    expect(parseMediaType(header)).toEqual({ essence, params });
  });

  it.each([
    undefined,
    '',
    'application',
    'application/',
    'application/cloudevents+json, application/json',
    'application/cloudevents+json x',
    'application/cloudevents+json; charset',
    'application/cloudevents+json; charset="utf-8',
    'application /json',
  ])('refuses %j', (header) => {
    expect(parseMediaType(header)).toBeUndefined();
  });
});

describe('nestingTooDeepAt', () => {
  const bytes = (s: string) => Buffer.from(s);

  it('counts arrays and objects, up to the limit and one past it', () => {
    const at = (d: number) => `${'['.repeat(d)}${']'.repeat(d)}`;
    expect(nestingTooDeepAt(bytes(at(MAX_BODY_DEPTH)))).toBeUndefined();
    expect(nestingTooDeepAt(bytes(at(MAX_BODY_DEPTH + 1)))).toBe(MAX_BODY_DEPTH);
    expect(nestingTooDeepAt(bytes('{"a":{"b":[1]}}'), 2)).toBe(10);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ s: `${'['.repeat(200)}"\\${'{'.repeat(200)}`, t: '\\' });
    expect(nestingTooDeepAt(bytes(text), 1)).toBeUndefined();
    expect(nestingTooDeepAt(bytes(`${text.slice(0, -1)},"u":[[1]]}`), 2)).toBeDefined();
  });

  it('is not misled by multi-byte UTF-8', () => {
    expect(nestingTooDeepAt(bytes(JSON.stringify({ s: '€[ü{"😀' })), 1)).toBeUndefined();
  });
});

describe('scanJson: each element of a top-level array, measured as sent', () => {
  const bytes = (s: string) => Buffer.from(s);

  it('gives the byte length of each element, strings with commas, brackets and escapes included', () => {
    const items = [{ a: 'x,y]}' }, { b: ['q"uo\\te', { c: '€,😀' }] }, 7, 'tail\\'];
    const text = JSON.stringify(items);
    expect(scanJson(bytes(text)).itemBytes).toEqual(items.map((i) => Buffer.byteLength(JSON.stringify(i))));
    // Whitespace around an element counts: it is what the sender sent.
    expect(scanJson(bytes('[ {"a":1} ,{"b":2}]')).itemBytes).toEqual([9, 7]);
  });

  it('measures nothing for a body that is not an array, or an empty one', () => {
    expect(scanJson(bytes('{"a":[1,2,3]}')).itemBytes).toEqual([]);
    expect(scanJson(bytes('[]')).itemBytes).toEqual([]);
  });

  it('stops at the first level too deep, and does not run away on an unterminated string', () => {
    expect(scanJson(bytes(`[1,${'['.repeat(70)}`), 64).tooDeepAt).toBe(66);
    expect(scanJson(bytes('["abc')).itemBytes).toEqual([]);
  });
});
