import { type FSWatcher, watch } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

/** Coalesce the bursts a rewrite produces (truncate, write, rename) into one re-read. */
const DEBOUNCE_MS = 250;

/**
 * Calls `onChange` when a lease file (or a sibling that shares its name as a prefix: `dhcpd.leases~`,
 * `kea-leases4.csv.2`, …) changes. It watches the directory, not the file, because servers replace their
 * files by rename and a watch on the old inode would go silent. A periodic stat of the files backs it up
 * where fs.watch reports nothing (NFS, some container overlays).
 */
export class LeaseFileWatcher {
  private watcher?: FSWatcher;
  private poller?: NodeJS.Timeout;
  private debounce?: NodeJS.Timeout;
  private lastSignature = '';

  constructor(
    private readonly mainFile: string,
    private readonly files: () => string[],
    private readonly onChange: () => void,
    private readonly pollEveryMs: number,
  ) {}

  async start(): Promise<void> {
    this.lastSignature = await this.signature();
    const prefix = basename(this.mainFile);
    try {
      this.watcher = watch(dirname(this.mainFile), (_event, name) => {
        if (name === null || String(name).startsWith(prefix)) this.schedule();
      });
      this.watcher.on('error', () => this.closeWatcher());
    } catch {
      // Missing directory or no inotify: the stat poll below still notices changes.
    }
    this.poller = setInterval(() => {
      void this.signature().then((sig) => {
        if (sig !== this.lastSignature) this.schedule();
      });
    }, this.pollEveryMs);
  }

  stop(): void {
    this.closeWatcher();
    clearInterval(this.poller);
    clearTimeout(this.debounce);
    this.debounce = undefined;
  }

  private closeWatcher(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  private schedule(): void {
    // One re-read 250 ms after the first signal of a burst. Restarting the delay on every signal would
    // let a poll faster than the delay (or a chatty watcher) postpone the re-read forever.
    if (this.debounce !== undefined) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      void this.signature().then((sig) => {
        this.lastSignature = sig;
        this.onChange();
      });
    }, DEBOUNCE_MS);
  }

  /** Inode, size and mtime of every file: a rename, a rewrite or an append each change it. */
  private async signature(): Promise<string> {
    const parts = await Promise.all(
      this.files().map(async (f) => {
        try {
          const s = await stat(f);
          return `${f}:${s.ino}:${s.size}:${s.mtimeMs}`;
        } catch {
          return `${f}:missing`;
        }
      }),
    );
    return parts.join('|');
  }
}
