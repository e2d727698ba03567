// The doctor's authenticated probe between two real daemons on loopback stores nothing on the probed
// side: every table of its SQLite file holds the same rows before and after, while the probe did get
// through (peer-probe PASS, and its clock-skew measured from it).
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { controlRequest, freePort, TestDaemon, tempDir } from '../../src/testing/index.js';
import { pairKey, pairNode } from '../federation/daemon-pair.js';

const running: TestDaemon[] = [];
afterAll(async () => {
  for (const d of running) await d.stop();
});

/** Rows per table of a daemon's database, read beside the running daemon (WAL: readers do not block it). */
function rowCounts(stateDir: string): Record<string, number> {
  const db = new Database(join(stateDir, 'routerd.db'), { readonly: true, fileMustExist: true });
  try {
    const tables = db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      )
      .all() as { name: string }[];
    return Object.fromEntries(
      tables.map(({ name }) => [
        name,
        (db.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n,
      ]),
    );
  } finally {
    db.close();
  }
}

describe('POST /v1/probe between real daemons', () => {
  it('the probed daemon stores nothing, and the probe proves key and clock', async () => {
    const root = tempDir('routerd-probe-');
    const key = pairKey(root);
    const [po, pc] = [await freePort(), await freePort()];
    const onprem = await TestDaemon.start(
      pairNode(root, { name: 'onprem', port: po, peer: 'cloud', peerPort: pc, key }),
    );
    running.push(onprem);
    const cloud = await TestDaemon.start(
      pairNode(root, { name: 'cloud', port: pc, peer: 'onprem', peerPort: po, key }),
    );
    running.push(cloud);

    const before = rowCounts(cloud.stateDir);
    for (let i = 0; i < 3; i++) {
      const r = await controlRequest(onprem.socketPath, 'GET', '/v1/doctor/federation');
      expect(r.status).toBe(200);
      expect(r.body.checks).toContainEqual(
        expect.objectContaining({
          code: 'peer-probe',
          subject: 'cloud',
          status: 'PASS',
          summary: expect.stringMatching(
            /^cloud verified our signature \(key [0-9a-f]{12}\) and answered as cloud/,
          ),
        }),
      );
    }
    expect(rowCounts(cloud.stateDir)).toEqual(before);
    // It was authenticated on the cloud: the cloud measured onprem's clock from it.
    const atCloud = await controlRequest(cloud.socketPath, 'GET', '/v1/doctor/federation?probe=false');
    expect(atCloud.body.checks).toContainEqual(
      expect.objectContaining({ code: 'clock-skew', subject: 'edge/onprem', status: 'PASS' }),
    );
    expect(atCloud.body.checks.some((c: { code: string }) => c.code === 'peer-probe')).toBe(false);

    // A query the route does not know is refused with its path.
    const bad = await controlRequest(onprem.socketPath, 'GET', '/v1/doctor/federation?probe=maybe');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^invalid query: \/probe /);
  }, 60_000);
});
