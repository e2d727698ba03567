import { join } from 'node:path';
import type { PluginRunRecord } from '@routerd/host-wire';
import { MAX_STORED_TEXT_BYTES } from '@routerd/plugin-sdk/client';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';
import { PluginRunStore, STDERR_TAIL_BYTES, tailBytes } from '../../src/store/plugin-runs.js';
import { tempDir } from '../../src/testing/index.js';
import { commitSettings, FULL, NORMAL } from '../store/commit-settings.js';

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

// Its bounds (count and age) are retention's: test/retention/retention.test.ts.
function open() {
  const db = openDatabase(join(tempDir('routerd-runs-'), 'routerd.db'));
  return { db, store: new PluginRunStore(db) };
}

describe('a plugin run record', () => {
  it('is history: committed without waiting for the disk, and the connection is durable again after', () => {
    const { db, store } = open();
    expect(commitSettings(db, () => store.insert(record(1, T0)))).toEqual([NORMAL]);
    expect(db.pragma('synchronous', { simple: true })).toBe(FULL);
    expect(store.list()).toHaveLength(1);
  });
});

describe('PluginRunStore', () => {
  it('lists newest first, filtered by plugin and outcome, bounded by limit', () => {
    const { store } = open();
    for (let n = 1; n <= 6; n++) store.insert(record(n, T0 + n));
    expect(store.list().map((r) => r.runId)).toEqual(['run-6', 'run-5', 'run-4', 'run-3', 'run-2', 'run-1']);
    expect(store.list({ plugin: 'odd', outcome: 'failed' }).map((r) => r.runId)).toEqual(['run-3']);
    expect(store.list({ limit: 2 }).map((r) => r.runId)).toEqual(['run-6', 'run-5']);
    expect(store.list({ limit: 1 })[0]).toEqual({ ...record(6, T0 + 6), durationMs: 12 });
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
