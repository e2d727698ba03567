/** routerctl backup --out FILE: a copy of the daemon's database, taken while it runs. */
import {
  closeSync,
  createWriteStream,
  existsSync,
  fsyncSync,
  linkSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Command, Option } from 'clipanion';
import { RouterctlCommand } from '../base-command.js';
import { errnoWords } from '../errno.js';

/** The first 16 bytes of every SQLite database file. */
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

export class BackupCommand extends RouterctlCommand {
  static override paths = [['backup']];
  static override usage = Command.Usage({
    category: 'maintenance',
    description: 'copy the daemon’s database while it runs, to a new file only its owner can read (0600)',
    details: `
      The daemon makes the copy with SQLite's online backup — events keep arriving meanwhile, and the copy
      holds every transaction committed when it finished — and streams it here; routerctl writes it to
      FILE. An existing FILE is refused unless --force. The copy needs free space for a whole copy of the
      database in the daemon's state directory while it is made.

      To restore: stop the daemon, replace routerd.db in its state directory with the copy (mode 0600,
      owned by the daemon's user), remove routerd.db-wal and routerd.db-shm, start it. Pending deliveries
      resume; anything stored after the backup is lost. docs/how-to/deploy.md has the steps.
    `,
    examples: [
      ['A backup now', '$0 backup --out /var/backups/routerd-$(date +%F).db'],
      ['Replace yesterday’s', '$0 backup --out /var/backups/routerd-latest.db --force'],
    ],
  });
  out = Option.String('--out', { required: true, description: 'the file to write (mode 0600)' });
  force = Option.Boolean('--force', false, { description: 'replace FILE if it exists' });

  async run(): Promise<void> {
    const target = resolve(this.out);
    if (!this.force && existsSync(target))
      throw new Error(`${target} exists: choose another name, or add --force to replace it`);
    // Written beside the target and renamed when complete: FILE is never a partial copy.
    const partial = `${target}.partial-${process.pid}`;
    const fd = createPartial(partial, target);
    try {
      const copy = await this.client().backup();
      await pipeline(copy.body, createWriteStream('', { fd }));
      const size = statSync(partial).size;
      if (size !== copy.bytes || !startsWithSqliteHeader(partial))
        throw new Error(
          `the copy was cut off (${size} of ${copy.bytes} bytes): nothing was written to ${target} — run the backup again`,
        );
      syncFile(partial);
      publish(partial, target, this.force);
      this.write(
        `wrote ${target} (${formatBytes(copy.bytes)}, schema version ${copy.schemaVersion}, mode 0600)\n`,
      );
    } finally {
      rmSync(partial, { force: true });
    }
  }
}

function createPartial(partial: string, target: string): number {
  try {
    return openSync(partial, 'wx', 0o600);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = errnoWords(e, {
      ENOENT: 'its directory does not exist',
      EACCES: 'permission denied',
      EROFS: 'read-only file system',
    });
    throw new Error(`cannot write ${target} (${e.code ?? 'error'}: ${why}): choose another --out`);
  }
}

function startsWithSqliteHeader(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(SQLITE_HEADER.length);
    readSync(fd, head, 0, head.length, 0);
    return head.equals(SQLITE_HEADER);
  } finally {
    closeSync(fd);
  }
}

/** On disk before it gets its final name: a crash right after "wrote" must not leave an empty backup. */
function syncFile(file: string): void {
  const fd = openSync(file, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Give the complete copy its name: replace with --force, else link (which refuses an existing name atomically). */
function publish(partial: string, target: string, force: boolean): void {
  if (force) {
    renameSync(partial, target);
    return;
  }
  try {
    linkSync(partial, target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST')
      throw new Error(`${target} appeared meanwhile: choose another name, or add --force to replace it`);
    // A filesystem without hard links (vfat, some network mounts): the check above has to do.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
    renameSync(partial, target);
    return;
  }
  unlinkSync(partial);
}

function formatBytes(n: number): string {
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
