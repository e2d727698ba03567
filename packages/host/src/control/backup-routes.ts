/**
 * POST /v1/backup: an online copy of the database, streamed back to the caller, so `routerctl backup`
 * writes the file where its user asked — outside the daemon's sandbox, which may write only to the
 * state directory — and never opens SQLite itself.
 */
import { createReadStream, fstatSync, openSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { BACKUP_MEDIA_TYPE, ControlRoutes, SCHEMA_VERSION_HEADER } from '@routerd/host-wire';
import type { Database } from 'better-sqlite3';
import { Router } from 'express';
import { backupOnline } from '../store/backup.js';
import { HttpError, refuseFields, storageFull } from './http-error.js';

/** The copy is made in the state directory (the one place the daemon may write) under this prefix. */
const TEMP_PREFIX = '.backup-';

export interface BackupRouteDeps {
  db: Database;
  stateDir: string;
  stopping: () => boolean;
}

export function backupRoutes({ db, stateDir, stopping }: BackupRouteDeps): Router {
  // A copy left by a daemon that died while making one is useless: remove it at start.
  for (const name of readdirSync(stateDir))
    if (name.startsWith(TEMP_PREFIX)) rmSync(join(stateDir, name), { force: true });
  let counter = 0;
  const router = Router();

  router.post(ControlRoutes.backup, async (req, res) => {
    refuseFields(req.body, 'backup request', 'a backup takes no field');
    if (stopping())
      throw new HttpError(503, 'shutting_down', 'routerd-eventd is shutting down: back up once it is back');
    const schemaVersion = (
      db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null }
    ).v;
    const file = join(stateDir, `${TEMP_PREFIX}${process.pid}-${++counter}.db`);
    try {
      await backupOnline(db, file);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === 'SQLITE_FULL' || code === 'ENOSPC')
        throw storageFull(
          stateDir,
          code,
          'the backup is first copied there and needs room for a whole copy of the database',
        );
      throw err;
    }
    // Open, then unlink: the copy is gone from the directory however the response ends.
    const fd = openSync(file, 'r');
    unlinkSync(file);
    res.status(200);
    res.setHeader('content-type', BACKUP_MEDIA_TYPE);
    res.setHeader('content-length', String(fstatSync(fd).size));
    res.setHeader(SCHEMA_VERSION_HEADER, String(schemaVersion ?? 0));
    // A caller that goes away mid-copy gets a short body, which routerctl refuses: nothing to report here.
    await pipeline(createReadStream('', { fd }), res).catch(() => {});
  });

  return router;
}
