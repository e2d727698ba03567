// A state directory whose filesystem is full (a real 32 MiB tmpfs, filled): the control API says so —
// 507 storage_full, naming the directory and what to do — instead of "internal error", for an emit and
// for a backup; once space is freed both work again.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { controlRequest, groupConfig, TestDaemon, tempDir, writeFile } from '@routerd/host/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { emitObservedWithRouterctl, observed, routerctl } from './support/federation.js';
import { fill, smallStateFs, unmountSmallStateFs } from './support/tmpfs.js';

let daemon: TestDaemon | undefined;
afterAll(async () => {
  await daemon?.stop();
  unmountSmallStateFs();
});

describe('a full state directory', () => {
  it('emit and backup answer 507 storage_full with what to do; both work once space is freed', async () => {
    const { dir, stateDir } = smallStateFs('routerd-full-');
    const config = writeFile(tempDir('routerd-full-config-'), 'f.yaml', groupConfig());
    daemon = await TestDaemon.start({ configFiles: [config], stateDir });
    const filler = fill(dir);

    const emit = await controlRequest(daemon.socketPath, 'POST', '/v1/events/batch', {
      events: [observed(1)],
    });
    expect(emit.status).toBe(507);
    expect(emit.body.error.code).toBe('storage_full');
    expect(emit.body.error.message).toMatch(
      new RegExp(
        `^the state directory ${stateDir} is full \\(SQLITE_FULL\\): nothing was written\\. Free space`,
      ),
    );
    // routerctl shows the same words.
    const cli = emitObservedWithRouterctl(stateDir, '10.0.0.9/32');
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain(`error: the state directory ${stateDir} is full`);

    const backup = routerctl(stateDir, 'backup', '--out', join(tempDir('routerd-full-out-'), 'b.db'));
    expect(backup.code).toBe(1);
    expect(backup.stderr).toMatch(
      new RegExp(
        `^error: the state directory ${stateDir} is full \\((SQLITE_FULL|ENOSPC)\\): the backup is first copied there`,
      ),
    );
    expect(readdirSync(stateDir).filter((n) => n.startsWith('.backup-'))).toEqual([]);
    expect(daemon.child.exitCode).toBeNull();

    rmSync(filler);
    expect((await controlRequest(daemon.socketPath, 'POST', '/v1/events', observed(2))).status).toBe(201);
    const out = join(tempDir('routerd-full-out-'), 'b.db');
    expect(routerctl(stateDir, 'backup', '--out', out).code).toBe(0);
  });
});
