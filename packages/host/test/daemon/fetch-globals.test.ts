// The daemon as installed never loads undici (issue 18: the idle daemon's memory): its bin tunes the
// process with @routerd/plugin-sdk/process before anything imports arktype.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DAEMON_BIN = fileURLToPath(new URL('../../dist/bin/routerd-eventd.js', import.meta.url));

describe('fetch globals in the daemon', () => {
  it('the built daemon starts its program without loading undici', () => {
    const probe = `process.on('exit', () => process.stderr.write('undici loaded: ' + process.moduleLoadList.some((m) => m.includes('undici')) + '\\n'))`;
    const r = spawnSync(
      process.execPath,
      ['--import', `data:text/javascript,${encodeURIComponent(probe)}`, DAEMON_BIN, '--version'],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(r.stdout).toMatch(/^routerd-eventd /);
    expect(r.stderr).toContain('undici loaded: false');
  });
});
