// The young generation of a running routerd-eventd (issue 18): at its start size whatever the load, unless
// the node flag of deploy/'s service files bounds it; then it grows under load, up to that bound. Read
// from inside the real daemon by a preloaded probe (test/fixtures/new-space-probe.mjs).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { controlRequest, TestDaemon, tempDir } from '../../src/testing/index.js';

const probe = fileURLToPath(new URL('../fixtures/new-space-probe.mjs', import.meta.url));
const MiB = 1024 * 1024;
const running: TestDaemon[] = [];
afterAll(async () => {
  for (const d of running) await d.stop();
});

/** The largest new space the daemon had while it stored `events` events, 500 per request. */
async function newSpaceUnderLoad(
  nodeOptions: string,
  events: number,
): Promise<{ start: number; largest: number }> {
  const root = tempDir('routerd-young-');
  const config = join(root, 'f.yaml');
  writeFileSync(
    config,
    'apiVersion: federation.routerd.net/v1alpha1\nkind: EventGroup\nmetadata: {name: lab}\nspec: {nodeName: onprem-1}\n',
  );
  const file = join(root, 'new-space');
  const daemon = await TestDaemon.start({
    configFiles: [config],
    stateDir: join(root, 'state'),
    prefix: ['env', `NODE_OPTIONS=${nodeOptions} --import=${probe}`, `ROUTERD_TEST_NEW_SPACE_FILE=${file}`],
  });
  running.push(daemon);
  await new Promise((r) => setTimeout(r, 100));
  const start = Number(readFileSync(file, 'utf8'));
  for (let i = 0; i < events; i += 500) {
    const batch = Array.from({ length: 500 }, (_, k) => ({
      type: 'routerd.client.ipv4.observed',
      subject: `10.1.${((i + k) >> 8) & 0xff}.${(i + k) & 0xff}/32`,
      ttl: '1h',
      payload: {
        address: `10.1.${((i + k) >> 8) & 0xff}.${(i + k) & 0xff}/32`,
        domain: 'lan',
        ownerSide: 'onprem',
        source: 'arp',
      },
    }));
    const res = await controlRequest(daemon.socketPath, 'POST', '/v1/events/batch', { events: batch });
    expect(res.status).toBe(200);
  }
  await new Promise((r) => setTimeout(r, 100));
  return { start, largest: Number(readFileSync(file, 'utf8')) };
}

describe('the daemon’s young generation under load', () => {
  it('stays at its start size without a bound', async () => {
    const { start, largest } = await newSpaceUnderLoad('', 20_000);
    expect(largest).toBe(start);
  }, 120_000);

  it('grows past its start size up to the bound given with --max-semi-space-size, and no further', async () => {
    const { start, largest } = await newSpaceUnderLoad('--max-semi-space-size=4', 20_000);
    expect(largest).toBeGreaterThan(start);
    // The flag bounds each of the two semi-spaces; V8's new_space size counts both.
    expect(largest).toBeLessThanOrEqual(2 * 4 * MiB);
  }, 120_000);
});
