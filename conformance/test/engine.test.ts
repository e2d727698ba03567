import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runConformance, UsageError } from '../src/engine.js';
import { renderPretty } from '../src/render/pretty.js';
import { fixture, outcome, SELF_TEST_TIMEOUTS } from './self-test.js';

const observed = {
  spec: {
    trigger: { type: 'event' },
    events: [
      {
        id: 'ev-1',
        group: 'edge',
        sourceNode: 'onprem',
        type: 'routerd.client.ipv4.observed',
        payload: { address: '10.88.60.9/32', domain: 'lan', ownerSide: 'onprem', source: 'arp' },
        observedAt: '$now',
      },
    ],
  },
};

describe('runConformance options', () => {
  it('adds the vectors of --vectors DIR and reports each failing vector by name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'conformance-vectors-'));
    mkdirSync(join(dir, 'propose.dynamicConfig'));
    const vector = (name: string, expect: unknown) =>
      writeFileSync(
        join(dir, 'propose.dynamicConfig', `${name}.json`),
        JSON.stringify({ description: name, capability: 'propose.dynamicConfig', request: observed, expect }),
      );
    vector('claim-by-address', {
      resultSubset: { status: { resources: [{ metadata: { name: 'onprem-10-88-60-9' } }] } },
    });
    vector('wants-a-diagnostic', { diagnostic: { severity: 'warning', pathPrefix: '/spec/events' } });
    const report = await runConformance({
      executable: fixture('raw-reference.mjs'),
      only: ['capabilities.propose.dynamicConfig'],
      vectorsDir: dir,
      timeouts: SELF_TEST_TIMEOUTS,
    });
    expect(outcome(report)).toEqual({ 'capabilities.propose.dynamicConfig.golden-vectors': 'fail' });
    const details = report.checks.find((c) => c.id.endsWith('golden-vectors'))!.details;
    expect(details).toEqual([
      expect.stringMatching(/^propose\.dynamicConfig\/wants-a-diagnostic .*expected a warning diagnostic/),
    ]);
  });

  it('--grant: a declared capability that is not granted fails the declaration check and skips its capability checks', async () => {
    const report = await runConformance({
      executable: fixture('reference.mjs'),
      grant: ['propose.dynamicConfig', 'observe.events'],
      only: ['lifecycle.declared-within-granted', 'capabilities'],
      timeouts: SELF_TEST_TIMEOUTS,
    });
    expect(outcome(report)).toEqual({ 'lifecycle.declared-within-granted': 'fail' });
    const skipped = report.checks.filter((c) => c.status === 'skip').map((c) => c.id);
    expect(skipped).toEqual([
      'capabilities.propose.providerAction.golden-vectors',
      'capabilities.propose.providerAction.results-valid',
      'capabilities.propose.providerAction.plans-inert',
    ]);
    expect(renderPretty(report)).toMatch(/✗ lifecycle\.declared-within-granted .*propose\.providerAction/);
    // Withholding a v1 capability is the operator's choice; the rule that bites is the host's (R-L5).
    expect(
      report.checks.find((c) => c.id === 'lifecycle.declared-within-granted')!.violated?.[0]?.requirement,
    ).toBe('R-L5');
  });

  it('a slow initialize is a warning, not a failure', async () => {
    const report = await runConformance({
      executable: fixture('raw-reference.mjs'),
      only: ['lifecycle.initialize-fast'],
      timeouts: { initializeFastMs: 1 },
    });
    expect(outcome(report)).toEqual({ 'lifecycle.initialize-fast': 'warn' });
    expect(report.ok).toBe(true);
  });

  it('refuses unknown --only selectors and expected-failures entries as usage errors', async () => {
    await expect(
      runConformance({ executable: fixture('reference.mjs'), only: ['lifecycle.nope'] }),
    ).rejects.toThrow(UsageError);
    await expect(
      runConformance({ executable: fixture('reference.mjs'), expectedFailures: [{ entry: 'robustnes' }] }),
    ).rejects.toThrow(/names no check/);
  });
});
