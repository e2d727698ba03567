import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { PluginDefinition } from '../server/define-plugin.js';
import { addressClaimScenarios, checkClaimScenario, runWithMetadata } from './address-claim-scenarios.js';
import { createTestHost, type TestHost } from './index.js';
import type { LoopbackServer } from './loopback-server.js';
import { METADATA_FAILURES, type MetadataMode } from './metadata-modes.js';

type Body = () => void | Promise<void>;

/**
 * The conformance suite's "answers initialize well under 1 s" budget for a test run: at least 3 s, and
 * twice the machine's overload beyond that. A plugin that starts in 300 ms when idle takes over two
 * seconds on two cores running ten other jobs — the machine's state, not the plugin's — and the load
 * average trails a burst by up to a minute. A plugin that needs more than this is still caught.
 */
export function initializeBudgetMs(): number {
  const overload = loadavg()[0]! / Math.max(1, availableParallelism());
  return Math.round(1000 * Math.max(3, 2 * overload));
}

/** The test runner's functions (vitest, node:test…), passed in so the SDK depends on none. */
export interface TestApi {
  describe(name: string, fn: () => void): void;
  it(name: string, fn: Body, timeoutMs?: number): void;
  beforeAll(fn: Body, timeoutMs?: number): void;
  afterAll(fn: Body): void;
}

/** What the contract reads of a conformance report (`@routerd/conformance`'s runConformance). */
export interface ConformanceReportLike {
  ok: boolean;
  checks: { id: string; status: string; message: string }[];
}

export interface AddressClaimContractOptions<Config> {
  /** A label for the test names, e.g. "aws". */
  provider: string;
  plugin: PluginDefinition<Config>;
  /** The package root (`new URL('..', import.meta.url)` from test/): golden files live in test/golden/. */
  packageDir: URL;
  /**
   * A config with `identity` in the scenario subnet (SCENARIO_SUBNET, own address SCENARIO_OWN_ADDRESS)
   * and `allowedCidrs: ['10.88.0.0/16']`, wider than the subnet (the neighbour-subnet scenario).
   */
  config: Record<string, unknown>;
  metadata: {
    /** A fake metadata service on 127.0.0.1 behaving as `mode` says. */
    start(mode: MetadataMode): Promise<LoopbackServer>;
    /** Config for discovery without `identity` (metadataUrl and metadataTimeout are added). */
    config: Record<string, unknown>;
    /** Every metadata diagnostic starts with this, e.g. "AWS IMDSv2 ". */
    service: string;
  };
  /** `runConformance` from `@routerd/conformance`: when given, dist/main.js is built and must pass every check. */
  runConformance?: (options: {
    executable: string;
    config: Record<string, unknown>;
    concurrency: number;
    timeouts: { initializeFastMs: number };
  }) => Promise<ConformanceReportLike>;
}

/**
 * What every address-claim plugin must do, whatever its provider: the shared scenarios give their golden
 * output byte for byte on two runs; every metadata failure is one diagnostic and no proposal; the built
 * executable passes the conformance suite. Provider tests add what only the provider has (its metadata
 * answers, its CLI's texts).
 */
export function defineAddressClaimContract<Config>(t: TestApi, o: AddressClaimContractOptions<Config>): void {
  const scenarios = addressClaimScenarios();
  t.describe(`${o.provider}: event batches → claims and plans (golden files, two runs each)`, () => {
    let host: TestHost;
    t.beforeAll(async () => {
      host = await createTestHost(o.plugin, { config: o.config });
    });
    t.afterAll(() => host.close());
    for (const scenario of scenarios) {
      t.it(`${scenario.name}: ${scenario.description}`, async () => {
        const file = `test/golden/${scenario.name}.json`;
        const c = await checkClaimScenario(
          (r) => host.run(r),
          scenario,
          fileURLToPath(new URL(file, o.packageDir)),
        );
        assert.deepEqual(c.problems, []);
        assert.equal(c.actual, c.expected, `${file} differs (regenerate with UPDATE_GOLDEN=1)`);
        assert.equal(c.secondRun, c.actual, 'a second run of the same request gave different output');
      });
    }
  });

  t.describe(`${o.provider}: metadata failures are diagnostics, not crashes`, () => {
    const observed = scenarios.find((s) => s.name === 'observed')!.request;
    for (const failure of METADATA_FAILURES) {
      t.it(`${failure.mode}: one diagnostic, no claims or plans`, async () => {
        const server = await o.metadata.start(failure.mode);
        try {
          const status = await runWithMetadata(o.plugin, server, o.metadata.config, observed);
          assert.deepEqual([status.resources ?? [], status.actionPlans ?? []], [[], []]);
          assert.equal(status.diagnostics?.length, 1, JSON.stringify(status.diagnostics));
          assert.match(status.diagnostics[0]!.summary, failure.summary);
          assert.ok(
            status.diagnostics[0]!.summary.startsWith(o.metadata.service),
            status.diagnostics[0]!.summary,
          );
        } finally {
          await server.close();
        }
      });
    }
  });

  const runConformance = o.runConformance;
  if (runConformance) {
    t.it(
      `${o.provider}: the built executable passes every conformance check`,
      async () => {
        const cwd = fileURLToPath(o.packageDir);
        execFileSync(fileURLToPath(new URL('node_modules/.bin/tsup', o.packageDir)), [], {
          cwd,
          stdio: 'ignore',
        });
        const executable = fileURLToPath(new URL('dist/main.js', o.packageDir));
        const report = await runConformance({
          executable,
          config: o.config,
          concurrency: 2,
          timeouts: { initializeFastMs: initializeBudgetMs() },
        });
        const failing = report.checks.filter((c) => c.status === 'fail' || c.status === 'warn');
        assert.deepEqual(
          failing.map((c) => `${c.id}: ${c.message}`),
          [],
        );
        assert.ok(report.ok);
      },
      240_000,
    );
  }
}
