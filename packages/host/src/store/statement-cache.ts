import type { Database, Statement } from 'better-sqlite3';

/**
 * Prepare each SQL text once per connection and reuse it: preparing costs far more than running, and the
 * stores' queries run on hot paths (every commit, every delivery batch).
 */
export function statementCache(db: Database): (sql: string) => Statement {
  const statements = new Map<string, Statement>();
  return (sql) => {
    let s = statements.get(sql);
    if (!s) {
      s = db.prepare(sql);
      statements.set(sql, s);
    }
    return s;
  };
}
