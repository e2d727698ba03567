import { checkPluginResult, PluginRequest, validate } from '@routerd/plugin-sdk';
import { describe, expect, it } from 'vitest';
import { containsSubset, judge, materialize } from '../src/vectors.js';

const result = (status: Record<string, unknown>) => ({
  result: {
    apiVersion: 'plugin.routerd.net/v1alpha1',
    kind: 'PluginResult',
    metadata: {},
    status: { observedAt: '2026-11-27T06:00:00Z', ...status },
  },
});

describe('vector requests', () => {
  it('merge over a valid base request, resolve $now times and delete null keys', () => {
    const before = Date.now();
    const req = materialize({ request: { spec: { now: '$now-5s', trigger: { type: 'interval' } } } }, 3000);
    expect(validate(PluginRequest, req).ok).toBe(true);
    const spec = req.spec as Record<string, string>;
    expect(Date.parse(spec.now!)).toBeGreaterThanOrEqual(before - 5000 - 1);
    expect(Date.parse(spec.now!)).toBeLessThan(before);
    expect(Date.parse(spec.deadline!) - Date.parse(spec.now!)).toBeGreaterThanOrEqual(8000 - 50);
    expect(materialize({ request: { spec: null } }, 1000)).not.toHaveProperty('spec');
  });
});

describe('expectations', () => {
  it('subset matching: objects by key, arrays by any element, extras allowed', () => {
    expect(containsSubset({ a: 1, b: [{ x: 1, y: 2 }, { x: 3 }] }, { b: [{ x: 3 }] })).toBe(true);
    expect(containsSubset({ a: 1 }, { a: 2 })).toBe(false);
    expect(containsSubset({ a: [1] }, { a: [2] })).toBe(false);
    expect(containsSubset({ a: { b: 1 } }, { a: [] })).toBe(false);
  });

  it('judge each kind of expectation, naming the requirement a miss breaks', () => {
    expect(checkPluginResult(result({}).result).ok).toBe(true);
    expect(judge({ resultSchema: true }, result({}))).toBeUndefined();
    expect(judge({ resultSchema: true }, result({ ttl: 'soon' }))).toEqual({
      text: expect.stringMatching(/does not validate/),
      requirement: 'R-W1',
    });
    expect(judge({ resultSchema: true }, { error: { code: -32603 } })).toEqual({
      text: expect.stringMatching(/diagnostics/),
      requirement: 'R-W3',
    });
    expect(judge({ errorCode: -32602 }, { error: { code: -32602 } })).toBeUndefined();
    expect(judge({ errorCode: -32602 }, result({}))).toEqual({
      text: expect.stringMatching(/got a result/),
      requirement: 'R-W2',
    });
    expect(judge({ resultSubset: { kind: 'PluginResult' } }, result({}))).toBeUndefined();
    // A vector's own expectation breaks no numbered requirement by itself.
    expect(judge({ resultSubset: { kind: 'Other' } }, result({}))).toEqual({
      text: expect.stringMatching(/does not contain/),
    });
    const diag = result({
      diagnostics: [{ severity: 'warning', summary: 's', path: '/spec/events/0/payload' }],
    });
    expect(judge({ diagnostic: { severity: 'warning', pathPrefix: '/spec/events' } }, diag)).toBeUndefined();
    expect(judge({ diagnostic: { severity: 'error' } }, diag)).toEqual({
      text: expect.stringMatching(/expected a error diagnostic/),
      requirement: 'R-W3',
    });
  });
});
