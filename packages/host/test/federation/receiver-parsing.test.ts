// The receiver's pre-parse checks as pure functions: the media type and the scan (bracket depth, and
// the size of each event of a batch as sent), and a batch parsed element by element from that scan.
import { describe, expect, it } from 'vitest';
import { parseArrayElements } from '../../src/federation/json-array-elements.js';
import { elementBytes, MAX_BODY_DEPTH, nestingTooDeepAt, scanJson } from '../../src/federation/json-depth.js';
import { parseMediaType } from '../../src/federation/media-type.js';
import { seededRandom } from '../seeded-random.js';

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
  const sizes = (s: string) => {
    const { array } = scanJson(bytes(s));
    return array?.ends.map((_, k) => elementBytes(array, k));
  };

  it('gives the byte length of each element, strings with commas, brackets and escapes included', () => {
    const items = [{ a: 'x,y]}' }, { b: ['q"uo\\te', { c: '€,😀' }] }, 7, 'tail\\'];
    expect(sizes(JSON.stringify(items))).toEqual(items.map((i) => Buffer.byteLength(JSON.stringify(i))));
    // Whitespace around an element counts: it is what the sender sent.
    expect(sizes('[ {"a":1} ,{"b":2}]')).toEqual([9, 7]);
  });

  it('finds no array in a body that is not one, and one empty element in `[]`', () => {
    expect(sizes('{"a":[1,2,3]}')).toBeUndefined();
    expect(sizes('[1] [2]')).toBeUndefined();
    expect(sizes('[]')).toEqual([0]);
    expect(sizes('[ ]')).toEqual([1]);
  });

  it('stops at the first level too deep, and does not run away on an unterminated string', () => {
    expect(scanJson(bytes(`[1,${'['.repeat(70)}`), 64).tooDeepAt).toBe(66);
    expect(scanJson(bytes('["abc'))).toEqual({});
  });
});

describe('parseArrayElements: a batch parsed element by element, or not at all', () => {
  const bytes = (s: string) => Buffer.from(s);
  const parse = (s: string) => parseArrayElements(bytes(s), scanJson(bytes(s)));

  it('parses each element of one array, whitespace, escapes and multi-byte text included', () => {
    const items = [{ a: 'x,y]}' }, { b: ['q"uo\\te', { c: '€,😀' }] }, 7, 'tail\\', null, [], {}];
    expect(parse(JSON.stringify(items))).toEqual(items);
    expect(parse(' \t\r\n[ {"a":1} ,\n{"b":[2, 3]}]\n')).toEqual([{ a: 1 }, { b: [2, 3] }]);
  });

  it.each([
    ['[]', 'an empty array (JSON.parse decides)'],
    ['[1,]', 'an empty last element'],
    ['[,1]', 'an empty first element'],
    ['[1,,2]', 'an empty element between'],
    ['[1] [2]', 'two arrays'],
    ['[1]] [', 'a stray close, then an open that balances the depth'],
    ['x[1]', 'a byte before the array'],
    ['\uFEFF[1]', 'a byte-order mark'],
    ['[1]x', 'a byte after it'],
    ['[1}', 'an array closed by a brace'],
    ['[{"a":2]}]', 'brackets crossed inside an element'],
    ['{"a":[1,2]}', 'an object'],
    ['"[1,2]"', 'a string'],
    ['[1, 2', 'no close'],
    ['["abc', 'an unterminated string'],
    ['[1,\u00a02]', 'whitespace JSON does not take'],
  ])('declines %j (%s)', (text) => {
    expect(parse(text)).toBeUndefined();
  });

  it('never accepts what JSON.parse refuses, nor gives other values, over mutated batches', () => {
    // Deterministic: the same texts on every run.
    const rand = seededRandom(0x5eed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const ws = () => pick(['', '', ' ', '\n', '\t ', '\r\n']);
    const value = (depth: number): unknown => {
      const r = rand();
      if (depth > 2 || r < 0.3) return pick([0, -1.5e3, true, null, 'a,b', 'q"]}[{\\', '€😀', '\\"']);
      if (r < 0.6) return Array.from({ length: Math.floor(rand() * 3) }, () => value(depth + 1));
      return Object.fromEntries(
        Array.from({ length: Math.floor(rand() * 3) }, (_, i) => [`k${i},]`, value(depth + 1)]),
      );
    };
    const noise = ['[', ']', '{', '}', ',', '"', '\\', ' ', 'x', '\u00e9'];
    let parsedBoth = 0;
    let refusedBoth = 0;
    for (let n = 0; n < 3000; n++) {
      const items = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => value(0));
      let text = `${ws()}[${items.map((i) => `${ws()}${JSON.stringify(i)}${ws()}`).join(',')}]${ws()}`;
      // Two thirds of them broken in one or two places: a byte inserted, deleted or replaced.
      const edits = n % 3 === 0 ? 0 : 1 + (n % 2);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(rand() * (text.length + 1));
        const kind = rand();
        if (kind < 0.4) text = text.slice(0, at) + pick(noise) + text.slice(at);
        else if (kind < 0.7) text = text.slice(0, at) + text.slice(at + 1);
        else text = text.slice(0, at) + pick(noise) + text.slice(at + 1);
      }
      // What the receiver did before: the bytes decoded whole (an edit may split a surrogate pair, which
      // the encoding turns into U+FFFD), then parsed.
      let whole: { ok: true; value: unknown } | { ok: false };
      try {
        whole = { ok: true, value: JSON.parse(bytes(text).toString('utf8')) };
      } catch {
        whole = { ok: false };
      }
      const elements = parse(text);
      if (elements !== undefined) {
        expect(whole, text).toEqual({ ok: true, value: elements });
        parsedBoth++;
      } else if (whole.ok && Array.isArray(whole.value) && whole.value.length > 0) {
        throw new Error(`declined a non-empty array JSON.parse takes: ${JSON.stringify(text)}`);
      } else if (!whole.ok) refusedBoth++;
    }
    // Both kinds were exercised.
    expect(parsedBoth).toBeGreaterThan(1000);
    expect(refusedBoth).toBeGreaterThan(500);
  });
});
