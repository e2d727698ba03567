#!/usr/bin/env node
// Runs the observer in-process against a dnsmasq leases file it writes itself: no root, no real LAN.
// `node examples/watch-dnsmasq.mjs` (after `npx tsup`) prints the observed event, then the expiry after
// the lease line is removed and absentAfter (2 s here) has passed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { arpObserverPlugin } from '@routerd/plugin-arp-observer';
import { createTestHost } from '@routerd/plugin-sdk/testing';

const dir = mkdtempSync(join(tmpdir(), 'arp-observer-example-'));
const leases = join(dir, 'dnsmasq.leases');
const inAnHour = Math.floor(Date.now() / 1000) + 3600;
writeFileSync(leases, `${inAnHour} 52:54:00:12:34:56 10.88.60.9 laptop *\n`);

const seen = [];
const host = await createTestHost(arpObserverPlugin, {
  granted: ['observe.events'],
  config: {
    domains: [{ name: 'lan', cidrs: ['10.88.60.0/24'] }],
    ownerSide: 'onprem',
    ttl: '30s',
    absentAfter: '2s',
    leasePollEvery: '500ms',
    sources: { neighbours: false, dnsmasq: leases },
  },
  onPublish: ({ events }) => {
    for (const e of events) {
      seen.push(e);
      console.log(e.type, e.payload.address, e.payload.mac, e.payload.source, e.id);
    }
    return { accepted: events.map((e) => e.id), duplicates: [], rejected: [] };
  },
});

const waitFor = async (type) => {
  while (!seen.some((e) => e.type === type)) await new Promise((r) => setTimeout(r, 50));
};
await waitFor('routerd.client.ipv4.observed');
writeFileSync(leases, ''); // the lease ended
await waitFor('routerd.client.ipv4.expired');
await host.close();
rmSync(dir, { recursive: true, force: true });
