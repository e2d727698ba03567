// The observer passes the shared plugin conformance suite (the same engine as `routerd-plugin test`),
// with a config that needs no root: a dnsmasq leases file as its only source.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runConformance } from '@routerd/conformance';
import { initializeBudgetMs } from '@routerd/plugin-sdk/testing';
import { describe, expect, it } from 'vitest';

describe('conformance', () => {
  it('passes every check that applies to an observe.events plugin', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'arp-conformance-'));
    const leases = join(dir, 'dnsmasq.leases');
    writeFileSync(leases, '4102444800 52:54:00:12:34:56 10.88.60.9 demo *\n');
    const report = await runConformance({
      executable: fileURLToPath(new URL('../dist/main.js', import.meta.url)),
      config: {
        domains: [{ name: 'lan', cidrs: ['10.88.60.0/24'] }],
        sources: { neighbours: false, dnsmasq: leases },
      },
      grant: ['observe.events'],
      concurrency: 2,
      // The "initialize well under 1 s" budget, stretched when this 2-core machine is overloaded.
      timeouts: { initializeFastMs: initializeBudgetMs() },
    });
    const notPassing = report.checks
      .filter((c) => c.status === 'fail' || c.status === 'warn')
      .map((c) => `${c.id}: ${c.message}`);
    expect(notPassing).toEqual([]);
    expect(report.ok).toBe(true);
  }, 240_000);
});
