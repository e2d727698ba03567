import { join } from 'node:path';
import type { PluginRunRecord } from '@routerd/host-wire';
import { MAX_STORED_TEXT_BYTES } from '@routerd/plugin-sdk/client';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { openDatabase } from '../../src/store/database.js';
import { PluginRunStore, STDERR_TAIL_BYTES, tailBytes } from '../../src/store/plugin-runs.js';
import { tempDir } from '../../src/testing/index.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');

function record(n: number, at: number, extra: Partial<PluginRunRecord> = {}): PluginRunRecord {
  return {
    runId: `run-${n}`,
    plugin: n % 2 ? 'odd' : 'even',
    trigger: 'manual',
    subscription: null,
    topic: null,
    requestName: `p-${n}`,
    dryRun: false,
    startedAt: new Date(at).toISOString(),
    durationMs: 12.4,
    outcome: n % 3 ? 'succeeded' : 'failed',
    events: 0,
    errorCode: null,
    errorMessage: null,
    capability: null,
    exitCode: null,
    signal: null,
    stderrTail: null,
    leftBehind: null,
    ...extra,
  };
}

function open(retention = { maxRuns: 250, maxAgeMs: 3600_000 }) {
  const clock = new ManualClock(T0);
  const db = openDatabase(join(tempDir('routerd-runs-'), 'routerd.db'));
  return { clock, store: new PluginRunStore(db, clock, retention) };
}

describe('PluginRunStore', () => {
  it('lists newest first, filtered by plugin and outcome, bounded by limit', () => {
    const { store } = open();
    for (let n = 1; n <= 6; n++) store.insert(record(n, T0 + n));
    expect(store.list().map((r) => r.runId)).toEqual(['run-6', 'run-5', 'run-4', 'run-3', 'run-2', 'run-1']);
    expect(store.list({ plugin: 'odd', outcome: 'failed' }).map((r) => r.runId)).toEqual(['run-3']);
    expect(store.list({ limit: 2 }).map((r) => r.runId)).toEqual(['run-6', 'run-5']);
    expect(store.list({ limit: 1 })[0]).toEqual({ ...record(6, T0 + 6), durationMs: 12 });
  });

  it('keeps at most maxRuns rows, pruning as rows are inserted', () => {
    const { store } = open();
    for (let n = 1; n <= 400; n++) store.insert(record(n, T0));
    // Pruned every 100 inserts: never more than maxRuns + 100 rows.
    expect(store.count()).toBeLessThanOrEqual(350);
    store.prune();
    expect(store.count()).toBe(250);
    expect(store.list({ limit: 1 })[0]!.runId).toBe('run-400');
  });

  it('drops rows older than maxAge', () => {
    const { store, clock } = open();
    store.insert(record(1, T0 - 2 * 3600_000));
    store.insert(record(2, T0 - 60_000));
    expect(store.prune()).toBe(1);
    expect(store.list().map((r) => r.runId)).toEqual(['run-2']);
    clock.advance(3600_000);
    store.prune();
    expect(store.count()).toBe(0);
  });

  it('keeps at most 2 KiB of each other text a plugin controls, saying how long it was', () => {
    const { store } = open();
    const huge = `é${'E'.repeat(100_000)}`;
    store.insert(record(1, T0, { errorMessage: huge, capability: huge, leftBehind: huge }));
    const kept = store.list()[0]!;
    for (const text of [kept.errorMessage!, kept.capability!, kept.leftBehind!]) {
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_STORED_TEXT_BYTES);
      expect(text).toMatch(/^éE+… \(truncated, 100002 bytes\)$/);
    }
  });

  it('keeps only the last 8 KiB of stderr, on a character boundary', () => {
    const { store } = open();
    const stderr = `${'start\n'.repeat(2000)}é${'x'.repeat(STDERR_TAIL_BYTES - 1)}`;
    store.insert(record(1, T0, { stderrTail: stderr }));
    const kept = store.list()[0]!.stderrTail!;
    expect(Buffer.byteLength(kept)).toBeLessThanOrEqual(STDERR_TAIL_BYTES);
    expect(kept.endsWith('x'.repeat(100))).toBe(true);
    expect(tailBytes('aé', 2)).toBe('é');
    expect(tailBytes('aé', 1)).toBe('');
  });
});
