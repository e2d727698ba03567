// The README's first command ends in `pnpm demo`: run the demo exactly as a user would (after the
// build the root test script has already done), both with the recorded neighbour table and, as root,
// with the real kernel table in network namespaces, and check it tells the whole story and cleans up.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DEMO = fileURLToPath(new URL('../../../scripts/demo.mjs', import.meta.url));

describe.each([
  ['recorded neighbour table', ['--recorded']],
  ['default (the kernel table when root)', []],
])('the demo, %s', (_name, args) => {
  it('shows observation → delivery → run → claim → plan → acknowledgement → held teardown, exits 0, leaves nothing', () => {
    const r = spawnSync(process.execPath, [DEMO, ...args], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr + r.stdout.slice(-2000)).toBe(0);
    const out = r.stdout;
    const order = [
      /client 10\.88\.60\.9 appears/,
      /ARP observer: 10\.88\.60\.9\/32 observed/,
      /delivered arp\.lan\.10-88-60-9\.\d+ to cloud \(signed/,
      /subscription onprem-clients: run for .* succeeded/,
      /effective config now holds RemoteAddressClaim\/onprem-10-88-60-9/,
      /client 10\.88\.60\.9 leaves/,
      /10\.88\.60\.9\/32 expired/,
      /claim still held \(hysteresis\)/,
      /teardown plan aws-unassign-secondary-ip-10-88-60-9/,
      /effective config holds 0 claims/,
    ];
    let at = 0;
    for (const re of order) {
      const m = re.exec(out.slice(at));
      expect(m, `${re} after position ${at}:\n${out}`).not.toBeNull();
      at += m!.index + m![0].length;
    }
    // The on-prem daemon's status page, for a browser while the demo runs.
    expect(out).toMatch(/ {2}status page {3}http:\/\/127\.0\.0\.1:\d+\/ \(on-prem's live status/);
    // Printed in the same look as the part, in either order.
    expect(out).toMatch(
      /action plan aws-assign-secondary-ip-10-88-60-9: assign-secondary-ip — planned, NOT executed/,
    );
    expect(out).toMatch(/acknowledgement from the cloud: onprem-clients-10-88-60-9 accepted/);
    expect(out).toMatch(
      /\$ aws ec2 assign-private-ip-addresses --network-interface-id eni-0de0123456789abcd/,
    );
    // The client's journey at the end, as `routerctl trace` tells it on each node, under one trace id.
    const traces = [...out.matchAll(/# on (on-prem|the cloud)\n {2}Trace ([0-9a-f]{32}) of event /g)];
    expect(traces.map((m) => m[1])).toEqual(['on-prem', 'the cloud']);
    expect(traces[0]![2]).toBe(traces[1]![2]);
    const cloudTrace = out.slice(traces[1]!.index);
    expect(cloudTrace).toMatch(/received\s+ok\s+received from onprem/);
    expect(cloudTrace).toMatch(
      /run\s+\d+ms\s+ok\s+subscription onprem-clients → plugin aws-claims: succeeded/,
    );
    expect(cloudTrace).toMatch(/acknowledgement delivered to onprem/);
    expect(out.slice(traces[0]!.index, traces[1]!.index)).toMatch(
      /ack\s+ok\s+part accepted: onprem-clients-10-88-60-9 — received from cloud/,
    );
    const state = /state\s+(\/\S+)/.exec(out)?.[1];
    expect(state && existsSync(state)).toBe(false);
    const netns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    expect(netns).not.toMatch(/rdemo-/);
  }, 130_000);
});
