import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { transactionRunner } from '../../src/store/transactions.js';

describe('transactionRunner: one transaction function per connection', () => {
  const table = () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (x INTEGER)');
    const rows = () => db.prepare('SELECT x FROM t ORDER BY x').pluck().all() as number[];
    return { db, rows, insert: (x: number) => db.prepare('INSERT INTO t VALUES (?)').run(x) };
  };

  it('commits what the work wrote and returns its value', () => {
    const { db, rows, insert } = table();
    const transact = transactionRunner(db);
    const done = transact(() => {
      insert(1);
      insert(2);
      return 'done';
    });
    expect(done).toBe('done');
    expect(db.inTransaction).toBe(false);
    expect(rows()).toEqual([1, 2]);
  });

  it('rolls back everything the work wrote when it throws, and throws on', () => {
    const { db, rows, insert } = table();
    const transact = transactionRunner(db);
    expect(() =>
      transact(() => {
        insert(1);
        throw new Error('half-way');
      }),
    ).toThrow('half-way');
    expect(db.inTransaction).toBe(false);
    expect(rows()).toEqual([]);
  });

  it('inside a transaction already open, is a savepoint: its rollback keeps the outer writes', () => {
    const { db, rows, insert } = table();
    const transact = transactionRunner(db);
    transact(() => {
      insert(1);
      expect(() =>
        transact(() => {
          insert(2);
          throw new Error('inner');
        }),
      ).toThrow('inner');
      insert(3);
    });
    expect(rows()).toEqual([1, 3]);
  });

  it('is made once per connection and shared by every store on it', () => {
    const a = table();
    const b = table();
    expect(transactionRunner(a.db)).toBe(transactionRunner(a.db));
    expect(transactionRunner(a.db)).not.toBe(transactionRunner(b.db));
  });
});
