// Backup, restore and the copy before a schema migration, on real daemons: `routerctl backup` while
// events stream in, the copy restored into a fresh state directory (its events there, its pending
// deliveries sent), and a database left at an older schema copied before it is migrated.
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { allMigrations, openDatabase } from '@routerd/host';
import { groupConfig, TestDaemon, tempDir, writeFile } from '@routerd/host/testing';
// SQLite itself (the host's version, one native build), to look inside a backup without migrating it.
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  emitBatch,
  freePort,
  keyFile,
  type NodeSpec,
  newRoot,
  observed,
  ROUTERCTL,
  routerctl,
  routerctlJson,
  storedCount,
  writeNode,
} from './support/federation.js';

const running: TestDaemon[] = [];
afterEach(async () => {
  for (const d of running.splice(0)) await d.stop();
});

async function start(options: Parameters<typeof TestDaemon.start>[0]): Promise<TestDaemon> {
  const d = await TestDaemon.start(options);
  running.push(d);
  return d;
}

/** routerctl as a child process that does not block this one (events keep streaming meanwhile). */
function routerctlAsync(stateDir: string, ...args: string[]) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [ROUTERCTL, '--state-dir', stateDir, ...args], {
      env: { ...process.env, ROUTERD_SOCKET: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function schemaVersionOf(file: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number }).v;
  } finally {
    db.close();
  }
}

const newestVersion = Math.max(...allMigrations.map((m) => m.version));

describe('routerctl backup and restore', () => {
  it('backs up while events stream in; the copy restores with its events, and its pending deliveries are sent', async () => {
    const root = newRoot();
    const key = keyFile(root);
    const [po, pc] = [await freePort(), await freePort()];
    const onpremSpec: NodeSpec = { name: 'onprem', port: po, key, peers: [{ name: 'cloud', port: pc }] };
    const cloudSpec: NodeSpec = { name: 'cloud', port: pc, key, peers: [{ name: 'onprem', port: po }] };
    const onpremFiles = writeNode(root, onpremSpec);
    // The cloud is down: everything on-prem stores stays pending for it.
    const onprem = await start({ configFiles: [onpremFiles.config], stateDir: onpremFiles.stateDir });
    const before = await emitBatch(
      onprem.socketPath,
      Array.from({ length: 200 }, (_, i) => observed(i)),
    );
    expect(before.status).toBe(200);
    const beforeIds = (before.body as { results: { id: string }[] }).results.map((r) => r.id);

    // Events keep arriving while the backup runs.
    let streaming = true;
    let next = 200;
    const stream = (async () => {
      while (streaming) {
        const batch = Array.from({ length: 50 }, () => observed(next++));
        expect((await emitBatch(onprem.socketPath, batch)).status).toBe(200);
      }
    })();
    const out = join(root, 'onprem-backup.db');
    const backup = await routerctlAsync(onprem.stateDir, 'backup', '--out', out);
    streaming = false;
    await stream;
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout).toMatch(
      new RegExp(`^wrote ${out} \\(.+, schema version ${newestVersion}, mode 0600\\)\\n$`),
    );
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(next).toBeGreaterThan(250); // the premise: events were stored while the copy was made
    const storedAtEnd = await storedCount(onprem.stateDir);
    // No temporary copy is left in the state directory.
    expect(readdirSync(onprem.stateDir).filter((n) => n.startsWith('.backup-'))).toEqual([]);
    await onprem.stop();

    // Restore, as docs/how-to/deploy.md says: a fresh state directory, the copy as routerd.db.
    const restoredState = tempDir('routerd-restored-');
    copyFileSync(out, join(restoredState, 'routerd.db'));
    const restored = await start({ configFiles: [onpremFiles.config], stateDir: restoredState });
    const restoredCount = await storedCount(restoredState);
    expect(restoredCount).toBeGreaterThanOrEqual(200);
    expect(restoredCount).toBeLessThanOrEqual(storedAtEnd); // what came after the copy is not in it
    for (const id of [beforeIds[0]!, beforeIds[199]!]) {
      expect(routerctl(restoredState, 'federation', 'event', 'get', id).code).toBe(0);
    }
    expect(
      routerctlJson<{ pending: number }[]>(restoredState, 'federation', 'deliveries', 'summary')[0]!.pending,
    ).toBe(restoredCount);

    // The cloud comes up: the restored node sends what was pending at the time of the backup.
    const cloudFiles = writeNode(root, cloudSpec);
    const cloud = await start({ configFiles: [cloudFiles.config], stateDir: cloudFiles.stateDir });
    await expect
      .poll(
        () =>
          routerctlJson<{ pending: number; delivered: number }[]>(
            restoredState,
            'federation',
            'deliveries',
            'summary',
          )[0],
        { timeout: 20_000, interval: 200 },
      )
      .toMatchObject({ pending: 0, delivered: restoredCount });
    expect(await storedCount(cloud.stateDir)).toBe(restoredCount);
    expect(restored.child.exitCode).toBeNull();
  });

  it('refuses an existing file unless --force, and says where it could not write', async () => {
    const dir = tempDir('routerd-backup-');
    const d = await start({ configFiles: [writeFile(dir, 'f.yaml', groupConfig())] });
    const out = join(dir, 'existing.db');
    writeFileSync(out, 'keep me');
    const refused = routerctl(d.stateDir, 'backup', '--out', out);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`error: ${out} exists: choose another name, or add --force to replace it\n`);
    expect(readFileSync(out, 'utf8')).toBe('keep me');

    const forced = routerctl(d.stateDir, 'backup', '--out', out, '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(schemaVersionOf(out)).toBe(newestVersion);
    expect(statSync(out).mode & 0o777).toBe(0o600);

    const missing = join(dir, 'no-such-dir', 'b.db');
    const nowhere = routerctl(d.stateDir, 'backup', '--out', missing);
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toBe(
      `error: cannot write ${missing} (ENOENT: its directory does not exist): choose another --out\n`,
    );
    // Nothing half-written is left beside the target.
    expect(readdirSync(dir).filter((n) => n.includes('.partial-'))).toEqual([]);
  });
});

describe('a copy before a schema migration', () => {
  it('an existing database at an older schema is copied to routerd.db.pre-v<N>.bak first; the last 3 are kept', async () => {
    const dir = tempDir('routerd-premigration-');
    const stateDir = join(dir, 'state');
    const dbFile = join(stateDir, 'routerd.db');
    const older = allMigrations.filter((m) => m.version < newestVersion);
    const olderVersion = Math.max(...older.map((m) => m.version));
    // The database an earlier routerd-eventd left: every migration but the newest, with the store's own list.
    mkdirSync(stateDir, { mode: 0o700 });
    openDatabase(dbFile, older).close();
    // Copies from earlier upgrades (older target versions): only the newest three may stay.
    for (const v of [1, 2, 3]) writeFileSync(`${dbFile}.pre-v${v}.bak`, '');

    const config = writeFile(dir, 'f.yaml', groupConfig());
    const d = await start({ configFiles: [config], stateDir });
    const logged = await d.waitForLog((l) => /copied before its schema migration/.test(l.msg));
    const backup = `${dbFile}.pre-v${newestVersion}.bak`;
    expect(logged).toMatchObject({ file: backup, fromVersion: olderVersion, toVersion: newestVersion });
    expect(statSync(backup).mode & 0o777).toBe(0o600);
    expect(schemaVersionOf(backup)).toBe(olderVersion); // the copy is the database as it was
    expect(
      readdirSync(stateDir)
        .filter((n) => n.endsWith('.bak'))
        .sort(),
    ).toEqual(
      ['routerd.db.pre-v2.bak', 'routerd.db.pre-v3.bak', `routerd.db.pre-v${newestVersion}.bak`].sort(),
    );
    await d.stop();
    expect(schemaVersionOf(dbFile)).toBe(newestVersion);

    // Nothing to migrate: no copy, no log line.
    const again = await start({ configFiles: [config], stateDir });
    expect(again.logs.some((l) => /copied before its schema migration/.test(l.msg))).toBe(false);
    await again.stop();
    expect(readdirSync(stateDir).filter((n) => n.endsWith('.bak'))).toHaveLength(3);
  });

  it('a new database is not copied', async () => {
    const dir = tempDir('routerd-premigration-');
    const d = await start({ configFiles: [writeFile(dir, 'f.yaml', groupConfig())] });
    expect(readdirSync(d.stateDir).filter((n) => n.endsWith('.bak'))).toEqual([]);
    expect(existsSync(join(d.stateDir, 'routerd.db'))).toBe(true);
  });
});
