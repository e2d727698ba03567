// routerd_events_stored_total counts what each commit newly stored (one inc per origin and commit),
// read from a real routerd-eventd's /metrics.
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { controlRequest, groupConfig, tempDir, writeFile } from '../../src/testing/index.js';
import { sample, scrape } from './scrape.js';

let daemon: Daemon;
let socket: string;
beforeAll(async () => {
  const dir = tempDir('events-stored-');
  const stateDir = join(dir, 'state');
  daemon = await Daemon.start({
    configFiles: [writeFile(dir, 'c.yaml', groupConfig())],
    stateDir,
    logger: pino({ level: 'silent' }),
    clock: systemClock,
  });
  socket = join(stateDir, 'routerd.sock');
});
afterAll(() => daemon?.stop());

const batch = (ids: string[]) =>
  controlRequest(socket, 'POST', '/v1/events/batch', {
    events: ids.map((id) => ({ id, type: 'acme.thing.seen', ttl: '300s', payload: { n: 1 } })),
  });
const stored = async () => sample(await scrape(socket), 'routerd_events_stored_total{origin="local"}') ?? 0;

it('counts each event a batch newly stores, and nothing for the duplicates of a batch sent again', async () => {
  expect(await stored()).toBe(0);
  expect((await batch(['a', 'b', 'c'])).status).toBe(200);
  expect(await stored()).toBe(3);
  expect((await batch(['a', 'b', 'c', 'd'])).status).toBe(200); // three duplicates and one new
  expect(await stored()).toBe(4);
  expect(sample(await scrape(socket), 'routerd_events_stored_total{origin="received"}') ?? 0).toBe(0);
});
