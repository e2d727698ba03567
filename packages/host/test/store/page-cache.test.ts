import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CACHE_KIB, openDatabase } from '../../src/store/database.js';
import { tempDir } from '../../src/testing/index.js';

describe('the state database', () => {
  it("keeps SQLite's page cache at CACHE_KIB, not better-sqlite3's 16 MB (a router's memory, issue 18)", () => {
    const db = openDatabase(join(tempDir('routerd-cache-'), 'routerd.db'));
    try {
      expect(db.pragma('cache_size', { simple: true })).toBe(-CACHE_KIB);
      expect(CACHE_KIB).toBeLessThanOrEqual(2000);
    } finally {
      db.close();
    }
  });
});
