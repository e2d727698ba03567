// The subscription run ledger's durability: which of its writes wait for the disk (docs/federation.md
// § Durability). markRunning is on the way to every plugin run; the others record what a run decided.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';
import { SubscriptionRunStore } from '../../src/store/subscription-runs.js';
import { commitSettings, FULL, NORMAL } from './commit-settings.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');

describe('the subscription run ledger', () => {
  it('marks a run started without waiting for the disk, and records its outcome with it', () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'sub-runs-')), 'routerd.db'));
    const runs = new SubscriptionRunStore(db);
    expect(commitSettings(db, () => runs.admitAll('clients', ['e1', 'e2'], T0))).toEqual([FULL]);
    expect(commitSettings(db, () => runs.markRunning('clients', ['e1', 'e2'], 'run-1', T0 + 1))).toEqual([
      NORMAL,
    ]);
    expect(runs.status('clients', 'e1')).toBe('running');
    // Back to FULL for what follows: the outcome of a run is not re-done for free.
    expect(db.pragma('synchronous', { simple: true })).toBe(FULL);
    expect(commitSettings(db, () => runs.markSucceeded('clients', ['e1'], 'run-1', T0 + 2))).toEqual([FULL]);
    expect(
      commitSettings(db, () =>
        runs.markFailed('clients', ['e2'], 'run-1', { error: 'boom', nextAttemptMs: T0 + 10 }, T0 + 2),
      ),
    ).toEqual([FULL]);
    expect(runs.due('clients', T0 + 10, false)).toEqual([{ eventId: 'e2', attempts: 1 }]);
  });

  it('counts each run once per row, whether or not it was marked running before its outcome', () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'sub-runs-')), 'routerd.db'));
    const runs = new SubscriptionRunStore(db);
    runs.admitAll('clients', ['quick', 'slow'], T0);
    const attempts = () =>
      Object.fromEntries(
        runs.list({ subscription: 'clients', limit: 10 }).map((r) => [r.eventId, r.attempts]),
      );
    // Run 1: `quick` answered before any mark, `slow` was marked running first; both failed.
    runs.markRunning('clients', ['slow'], 'run-1', T0 + 1);
    expect(runs.attemptsWith('clients', ['quick', 'slow'], 'run-1')).toBe(1);
    runs.markFailed('clients', ['quick', 'slow'], 'run-1', { error: 'boom', nextAttemptMs: T0 + 5 }, T0 + 2);
    expect(attempts()).toEqual({ quick: 1, slow: 1 });
    // Run 2 of both: the backoff is worked out with this run counted, and the outcome counts it once.
    expect(runs.attemptsWith('clients', ['quick', 'slow'], 'run-2')).toBe(2);
    runs.markRunning('clients', ['quick'], 'run-2', T0 + 6);
    runs.markSucceeded('clients', ['quick', 'slow'], 'run-2', T0 + 7);
    expect(attempts()).toEqual({ quick: 2, slow: 2 });
    expect(runs.list({ subscription: 'clients', limit: 10 }).map((r) => r.lastRunId)).toEqual([
      'run-2',
      'run-2',
    ]);
  });
});
