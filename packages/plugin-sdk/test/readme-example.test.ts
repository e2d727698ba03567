import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { makeEvent, spawnTestHost } from '../src/testing/index.js';

// The README promises the example works when pasted into a new project: paste it into one.
const pkgDir = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sdk-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function linkModule(name: string, target: string) {
  const at = join(dir, 'node_modules', name);
  mkdirSync(dirname(at), { recursive: true });
  symlinkSync(target, at);
}

describe('SDK README example', () => {
  it('runs as a real plugin in a fresh project', async () => {
    const readme = readFileSync(join(pkgDir, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## A complete plugin'));
    const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
    expect(code).toContain('serveStdio(plugin)');
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    writeFileSync(join(dir, 'plugin.mjs'), code!);
    chmodSync(join(dir, 'plugin.mjs'), 0o755);
    linkModule('@routerd/plugin-sdk', pkgDir);
    linkModule('arktype', join(pkgDir, 'node_modules', 'arktype'));
    const host = await spawnTestHost(
      { executable: join(dir, 'plugin.mjs') },
      { granted: ['propose.dynamicConfig'] },
    );
    try {
      const res = await host.run({
        events: [
          makeEvent({
            type: 'routerd.client.ipv4.observed',
            payload: { address: '10.88.60.9/32', domain: 'lan', ownerSide: 'onprem', source: 'arp' },
          }),
        ],
      });
      expect(res.status.resources?.[0]?.metadata.name).toBe('onprem-10-88-60-9');
      expect(res.status.ttl).toBe('30m');
    } finally {
      await host.close();
    }
  });
});
