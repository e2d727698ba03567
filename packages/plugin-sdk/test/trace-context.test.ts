import { describe, expect, it } from 'vitest';
import { gates } from '../src/protocol/gates/index.js';
import {
  causeSpanOf,
  childTraceContext,
  Event,
  isTraceParent,
  isTraceState,
  newTraceContext,
  receivedTraceContext,
  spanIdOf,
  traceIdOf,
} from '../src/protocol/index.js';

const parent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const event = {
  id: 'ev-1',
  group: 'edge',
  sourceNode: 'onprem',
  type: 'routerd.test.happened',
  payload: {},
  observedAt: '2026-11-27T06:00:00Z',
};

describe('W3C traceparent', () => {
  it.each([
    ['valid', parent, true],
    ['all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01', false],
    ['all-zero span id', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01', false],
    ['upper-case hex', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01', false],
    ['version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', false],
    ['a later version with more fields', '01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-xx', false],
    ['too short', '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01', false],
    ['not a string', 42, false],
  ])('%s', (_name, value, valid) => {
    expect(isTraceParent(value)).toBe(valid);
    // The schema, its precompiled gate and the receiver's reading agree.
    const candidate = { ...event, traceparent: value };
    expect(Event.allows(candidate)).toBe(valid);
    expect(gates.Event(candidate)).toBe(valid);
    expect(receivedTraceContext(value, undefined)).toEqual(valid ? { traceparent: value } : undefined);
  });

  it('tracestate: W3C list members, at most 512 characters', () => {
    expect(isTraceState('routerd=00f067aa0ba902b7,congo=t61rcWkgMzE')).toBe(true);
    expect(isTraceState('tenant@vendor=x , b=1')).toBe(true);
    expect(isTraceState('Upper=1')).toBe(false);
    expect(isTraceState('no-value=')).toBe(false);
    expect(isTraceState(`a=${'x'.repeat(255)},b=${'y'.repeat(255)}`)).toBe(false);
    expect(gates.Event({ ...event, traceparent: parent, tracestate: 'a=1,b=2' })).toBe(true);
    expect(gates.Event({ ...event, traceparent: parent, tracestate: 'a=1,,' })).toBe(false);
  });

  it('a received malformed tracestate is dropped alone; with a malformed traceparent, both', () => {
    expect(receivedTraceContext(parent, 'bad state')).toEqual({ traceparent: parent });
    expect(receivedTraceContext('00-bad', 'a=1')).toBeUndefined();
    expect(receivedTraceContext(parent, 'a=1')).toEqual({ traceparent: parent, tracestate: 'a=1' });
  });

  it('a new trace has fresh ids; a child keeps the trace, takes a new span and names its cause', () => {
    const a = newTraceContext();
    const b = newTraceContext();
    expect(isTraceParent(a.traceparent)).toBe(true);
    expect(traceIdOf(a.traceparent)).not.toBe(traceIdOf(b.traceparent));
    const child = childTraceContext({ traceparent: parent, tracestate: 'routerd=1111111111111111,congo=x' });
    expect(isTraceParent(child.traceparent)).toBe(true);
    expect(traceIdOf(child.traceparent)).toBe(traceIdOf(parent));
    expect(spanIdOf(child.traceparent)).not.toBe(spanIdOf(parent));
    expect(child.traceparent.endsWith('-01')).toBe(true);
    expect(child.tracestate).toBe('routerd=00f067aa0ba902b7,congo=x');
    expect(causeSpanOf(child.tracestate)).toBe('00f067aa0ba902b7');
    const grandchild = childTraceContext(child);
    expect(causeSpanOf(grandchild.tracestate)).toBe(spanIdOf(child.traceparent));
    expect(isTraceState(grandchild.tracestate)).toBe(true);
  });

  it('a child of a full tracestate drops members from the right until it fits', () => {
    const full = Array.from({ length: 32 }, (_, i) => `k${i}=${'v'.repeat(12)}`).join(',');
    const child = childTraceContext({ traceparent: parent, tracestate: full });
    expect(isTraceState(child.tracestate)).toBe(true);
    expect(child.tracestate!.split(',').length).toBeLessThanOrEqual(32);
    expect(causeSpanOf(child.tracestate)).toBe(spanIdOf(parent));
  });
});
