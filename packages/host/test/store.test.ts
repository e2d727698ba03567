import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Event } from '@routerd/plugin-sdk';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { openDatabase } from '../src/store/database.js';
import { EventStore, eventMigrations, type InsertOutcome } from '../src/store/events.js';
import { MigrationError } from '../src/store/migrations.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function event(id: string, overrides: Partial<Event> = {}): Event {
  return {
    id,
    group: 'lab',
    sourceNode: 'onprem-1',
    type: 'acme.thing.seen',
    payload: { n: 1 },
    observedAt: iso(T0),
    expiresAt: iso(T0 + 60_000),
    ...overrides,
  };
}

function fresh() {
  const file = join(mkdtempSync(join(tmpdir(), 'routerd-store-')), 'routerd.db');
  const clock = new ManualClock(T0);
  const db = openDatabase(file);
  return { file, clock, db, store: new EventStore(db, clock) };
}

describe('EventStore', () => {
  it('opens with WAL and synchronous=FULL and records the applied migrations', () => {
    const { db } = fresh();
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(db.prepare('SELECT version, name FROM schema_migrations').all()).toContainEqual({
      version: 1,
      name: 'events',
    });
  });

  it('stores an event once; the same event again is a duplicate that changes nothing', () => {
    const { store } = fresh();
    expect(store.insert([event('a')]).map((o) => o.status)).toEqual(['stored']);
    // observedAt and dedupeKey are not part of the fact's identity: a re-emit may restamp them.
    const again = store.insert([event('a', { observedAt: iso(T0 + 1000), dedupeKey: 'k' })]);
    expect(again[0]).toEqual({ status: 'duplicate', event: event('a') });
    expect(store.list()).toEqual([event('a')]);
  });

  it('refreshes only expiresAt when the same event comes with a later expiry', () => {
    const { store } = fresh();
    store.insert([event('a')]);
    const later = iso(T0 + 120_000);
    const [outcome] = store.insert([event('a', { expiresAt: later })]);
    expect(outcome).toEqual({ status: 'refreshed', event: event('a', { expiresAt: later }) });
    // An earlier expiry is not a refresh.
    expect(store.insert([event('a', { expiresAt: iso(T0 + 30_000) })])[0]!.status).toBe('duplicate');
    expect(store.lookup('a')!.event.expiresAt).toBe(later);
  });

  it('hides expired events from reads, shows them on request, and never revives them', () => {
    const { store, clock } = fresh();
    store.insert([event('short', { expiresAt: iso(T0 + 1000) }), event('forever', { expiresAt: undefined })]);
    clock.advance(1000);
    expect(store.list().map((e) => e.id)).toEqual(['forever']);
    expect(store.list({ includeExpired: true }).map((e) => e.id)).toEqual(['forever', 'short']);
    expect(store.lookup('short')).toMatchObject({ expired: true });
    // A later expiry for an event that already expired does not bring it back.
    expect(store.insert([event('short', { expiresAt: iso(T0 + 600_000) })])[0]!.status).toBe('duplicate');
    expect(store.list().map((e) => e.id)).toEqual(['forever']);
  });

  it('filters by type, source node and group, newest first, with a limit', () => {
    const { store } = fresh();
    store.insert([
      event('1', { type: 'a.b' }),
      event('2', { type: 'a.c', sourceNode: 'cloud-1' }),
      event('3', { type: 'a.b', group: 'other' }),
    ]);
    expect(store.list({ type: 'a.b' }).map((e) => e.id)).toEqual(['3', '1']);
    expect(store.list({ sourceNode: 'cloud-1' }).map((e) => e.id)).toEqual(['2']);
    expect(store.list({ group: 'other' }).map((e) => e.id)).toEqual(['3']);
    expect(store.list({ limit: 2 }).map((e) => e.id)).toEqual(['3', '2']);
  });

  it('calls onCommitted after the commit with what was stored or refreshed, not duplicates', () => {
    const { store } = fresh();
    const seen: InsertOutcome[][] = [];
    const off = store.onCommitted((c) => seen.push(c));
    store.insert([event('a'), event('b')]);
    store.insert([event('a')]);
    store.insert([event('a', { expiresAt: iso(T0 + 999_999) })]);
    off();
    store.insert([event('c')]);
    expect(seen.map((batch) => batch.map((o) => `${o.status}:${o.event.id}`))).toEqual([
      ['stored:a', 'stored:b'],
      ['refreshed:a'],
    ]);
  });

  it.each([
    ['sourceNode', { sourceNode: 'rogue' }],
    ['group', { group: 'other' }],
    ['type', { type: 'acme.thing.gone' }],
    ['subject', { subject: 'other' }],
    ['payload', { payload: { n: 2 } }],
  ] as const)(
    'refuses an id already held by another fact (%s differs): id-conflict, nothing written',
    (field, change) => {
      const conflicts: unknown[] = [];
      const { store, db, clock } = fresh();
      const hooked = new EventStore(db, clock, {
        onIdConflict: (e, c) => conflicts.push({ id: e.id, ...c }),
      });
      hooked.insert([event('a')]);
      const committed: InsertOutcome[][] = [];
      hooked.onCommitted((c) => committed.push(c));
      // A later expiry too: a conflicting event must not refresh the owner's event either.
      const [outcome] = hooked.insert([event('a', { ...change, expiresAt: iso(T0 + 3_600_000) })]);
      expect(outcome).toMatchObject({ status: 'conflict', conflict: { fields: [field], owner: 'onprem-1' } });
      expect(conflicts).toEqual([{ id: 'a', fields: [field], owner: 'onprem-1' }]);
      expect(store.lookup('a')?.event).toEqual(event('a'));
      expect(committed).toEqual([]);
    },
  );

  it('rolls an all-or-nothing batch back when one id is taken', () => {
    const { store } = fresh();
    store.insert([event('a')]);
    expect(() =>
      store.insert([event('b'), event('a', { sourceNode: 'rogue' })], { allOrNothing: true }),
    ).toThrow(/already belong to another event/);
    expect(store.lookup('b')).toBeUndefined();
    // Without allOrNothing, the other events of the batch are stored and the conflict is reported alone.
    expect(store.insert([event('b'), event('a', { sourceNode: 'rogue' })]).map((o) => o.status)).toEqual([
      'stored',
      'conflict',
    ]);
  });

  it('keeps a commit even when a listener throws, and reports the error', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'routerd-store-')), 'routerd.db');
    const errors: unknown[] = [];
    const store = new EventStore(openDatabase(file), new ManualClock(T0), {
      onListenerError: (err) => errors.push(err),
    });
    store.onCommitted(() => {
      throw new Error('listener broke');
    });
    expect(store.insert([event('a')])[0]!.status).toBe('stored');
    expect(store.count()).toBe(1);
    expect((errors[0] as Error).message).toBe('listener broke');
  });

  it('inserts a batch in one transaction: a failure part-way stores nothing', () => {
    const { store } = fresh();
    // A payload that cannot be serialised makes the second insert throw inside the transaction.
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => store.insert([event('ok'), event('bad', { payload: circular })])).toThrow();
    expect(store.count()).toBe(0);
  });

  it('keeps everything across a reopen and does not re-run migrations', () => {
    const { file, db, store } = fresh();
    store.insert([event('a')]);
    const migrations = db.prepare('SELECT * FROM schema_migrations').all();
    db.close();
    const reopened = openDatabase(file);
    expect(new EventStore(reopened, new ManualClock(T0)).list()).toEqual([event('a')]);
    expect(reopened.prepare('SELECT * FROM schema_migrations').all()).toEqual(migrations);
  });

  it('applies a new migration on the next open, and refuses a database newer than the code', () => {
    // Only the events family, so the test does not depend on which other families exist.
    const file = join(mkdtempSync(join(tmpdir(), 'routerd-store-')), 'routerd.db');
    openDatabase(file, eventMigrations).close();
    const newest = Math.max(...eventMigrations.map((m) => m.version));
    const extra = { version: newest + 1, name: 'notes', up: 'CREATE TABLE notes (id INTEGER PRIMARY KEY)' };
    const withExtra = openDatabase(file, [...eventMigrations, extra]);
    expect(withExtra.prepare('SELECT MAX(version) AS v FROM schema_migrations').get()).toEqual({
      v: newest + 1,
    });
    withExtra.close();
    expect(() => openDatabase(file, eventMigrations)).toThrow(MigrationError);
    expect(() => openDatabase(file, eventMigrations)).toThrow(
      `schema version ${newest + 1}, newer than this routerd-eventd knows (${newest})`,
    );
    expect(() => openDatabase(file, [...eventMigrations, extra, { ...extra, name: 'again' }])).toThrow(
      `two migrations share version ${newest + 1}: notes and again`,
    );
  });
});
