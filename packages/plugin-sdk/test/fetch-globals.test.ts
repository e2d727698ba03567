// arktype loaded without Node's fetch implementation (issue 18: the memory of an idle process on a
// router): the stand-ins check and name instances as the real classes do, and Node's lazy globals come back.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { withFetchGlobalsUnloaded } from '../src/process/index.js';

/** Node's list of its own modules loaded so far (not in @types/node). */
const undiciLoaded = () =>
  (process as unknown as { moduleLoadList: string[] }).moduleLoadList.some((m) => m.includes('undici'));

const PROCESS_ENTRY = fileURLToPath(new URL('../dist/process/index.js', import.meta.url));

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

  it('tuneProcess loads arktype without undici, and runs in a program without arktype', () => {
    const program = (hideArktype: boolean) => `
      ${
        hideArktype
          ? `(await import('node:module')).register('data:text/javascript,' + encodeURIComponent(
              'export async function resolve(s, c, next) { if (s === "arktype" || s.startsWith("arktype/")) { const e = new Error("not installed: " + s); e.code = "ERR_MODULE_NOT_FOUND"; throw e; } return next(s, c); }'));`
          : ''
      }
      const { tuneProcess } = await import(${JSON.stringify(PROCESS_ENTRY)});
      await tuneProcess();
      const loaded = (m) => process.moduleLoadList.some((x) => x.includes(m));
      let arktype = 'absent';
      try { await import('arktype'); arktype = 'present'; } catch {}
      console.log(JSON.stringify({ undici: loaded('undici'), arktype }));
    `;
    const run = (hide: boolean) => {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', program(hide)], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(r.stderr).toBe('');
      return JSON.parse(r.stdout) as { undici: boolean; arktype: string };
    };
    expect(run(false)).toEqual({ undici: false, arktype: 'present' });
    expect(run(true)).toEqual({ undici: false, arktype: 'absent' });
  });
});
