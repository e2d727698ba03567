// arktype loaded without Node's fetch implementation (issue 18: the idle daemon's memory): the stand-ins
// check and name instances as the real classes do, Node's lazy globals come back, and the daemon as
// installed never loads undici.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { withFetchGlobalsUnloaded } from '../../src/daemon/fetch-globals.js';

const DAEMON_BIN = fileURLToPath(new URL('../../dist/bin/routerd-eventd.js', import.meta.url));
/** Node's list of its own modules loaded so far (not in @types/node). */
const undiciLoaded = () =>
  (process as unknown as { moduleLoadList: string[] }).moduleLoadList.some((m) => m.includes('undici'));

describe('fetch globals while arktype loads', () => {
  it('stand-ins answer instanceof as the real class, and Node’s lazy globals are put back', async () => {
    expect(Object.getOwnPropertyDescriptor(globalThis, 'Response')?.get).toBeDefined();
    const seen = await withFetchGlobalsUnloaded(async () => {
      const kept = { Response: globalThis.Response, Headers: globalThis.Headers };
      expect(undiciLoaded()).toBe(false);
      return kept;
    });
    expect(undiciLoaded()).toBe(false);
    expect(seen.Response.name).toBe('Response');
    // The real globals again: the first use loads them, and the stand-ins agree with them.
    const response = new Response('x');
    expect(await response.text()).toBe('x');
    expect(response instanceof seen.Response).toBe(true);
    expect(new Headers() instanceof seen.Headers).toBe(true);
    expect({} instanceof seen.Response).toBe(false);
    expect(response instanceof seen.Headers).toBe(false);
  });

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
