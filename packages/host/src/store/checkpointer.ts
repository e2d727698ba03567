/**
 * WAL checkpoints off the event loop, for the length of a long run of writes (a large prune). SQLite's
 * automatic checkpoint runs inside the commit that crosses ~1000 pages of log: it copies the log into the
 * database and waits for two fsyncs, on the event loop, tens of milliseconds on a busy disk. Meanwhile the
 * connection's automatic checkpoint is off and a worker thread with a connection of its own checkpoints
 * after each write it is told of (PASSIVE: it never waits for the writer, nor the writer for it), one at a
 * time. A checkpoint only copies what is already committed, so durability is the commits' own. The worker
 * lives only as long as the run (a thread and its connection cost ~9 MB).
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';

const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');

// CommonJS, evaluated in the worker: open the file, checkpoint on each message, answer when done.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.file);
db.pragma('synchronous = FULL');
db.pragma('cache_size = ' + workerData.cacheSize);
parentPort.on('message', (m) => {
  if (m === 'close') { db.close(); parentPort.close(); return; }
  db.pragma('wal_checkpoint(PASSIVE)');
  parentPort.postMessage('done');
});
`;

export class OffLoopCheckpoints {
  private readonly worker: Worker;
  private readonly autocheckpoint: number;
  private busy = false;
  private failed = false;
  private readonly exited: Promise<void>;

  private constructor(
    private readonly db: Database,
    onError: (err: unknown) => void,
  ) {
    this.autocheckpoint = db.pragma('wal_autocheckpoint', { simple: true }) as number;
    // The connection's own page cache size: a checkpoint needs little of it.
    const cacheSize = db.pragma('cache_size', { simple: true }) as number;
    this.worker = new Worker(WORKER, { eval: true, workerData: { sqlite, file: db.name, cacheSize } });
    this.worker.on('message', () => {
      this.busy = false;
    });
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.on('error', (err) => {
      // Checkpoints go back to the connection: the writes go on, only less smoothly.
      this.failed = true;
      this.restore();
      onError(err);
    });
    db.pragma('wal_autocheckpoint = 0');
  }

  /** Checkpoints on a worker until stop(); undefined for a database with no file (nothing to checkpoint). */
  static start(db: Database, onError: (err: unknown) => void): OffLoopCheckpoints | undefined {
    if (db.memory || db.name === '') return undefined;
    return new OffLoopCheckpoints(db, onError);
  }

  /** Some writes were committed: checkpoint them, unless a checkpoint is under way (it will be followed). */
  written(): void {
    if (this.busy || this.failed) return;
    this.busy = true;
    this.worker.postMessage('checkpoint');
  }

  /** The connection checkpoints again by itself; the worker closes its connection and ends. */
  async stop(): Promise<void> {
    this.restore();
    if (!this.failed) this.worker.postMessage('close');
    await this.exited;
  }

  private restore(): void {
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${this.autocheckpoint}`);
  }
}
