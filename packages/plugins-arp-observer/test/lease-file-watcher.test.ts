import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LeaseFileWatcher } from '../src/sources/leases/lease-file-watcher.js';

describe('LeaseFileWatcher', () => {
  it('re-reads a changed file even when its stat poll is faster than the debounce', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lease-watch-'));
    const file = join(dir, 'dnsmasq.leases');
    writeFileSync(file, '');
    let reads = 0;
    const watcher = new LeaseFileWatcher(
      file,
      () => [file],
      () => reads++,
      100,
    );
    await watcher.start();
    writeFileSync(file, '1795760000 52:54:00:12:34:56 10.88.60.9 laptop *\n');
    await expect.poll(() => reads, { timeout: 3000 }).toBeGreaterThan(0);
    watcher.stop();
  });
});
