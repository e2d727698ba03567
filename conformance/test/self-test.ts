import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { CATALOGUE } from '../src/catalogue.js';
import { runConformance } from '../src/engine.js';
import type { ExpectedFailure } from '../src/expected-failures.js';
import type { Report } from '../src/report.js';

export const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
export const PYTHON_EXAMPLE = fileURLToPath(
  new URL('../../packages/plugin-sdk/examples/no-sdk-python/plugin.py', import.meta.url),
);

/**
 * A shorter handshake timeout (never-answers would otherwise cost the protocol's 10 s), and room for slow
 * starts: the self-test runs two suites at once on a 2-core CI machine, next to whatever else runs there.
 * (initialize-fast is proven to fail in engine.test.ts.)
 */
export const SELF_TEST_TIMEOUTS = { handshakeMs: 5000, initializeFastMs: 5000 };

export async function conformance(
  executable: string,
  opts: { expectedFailures?: ExpectedFailure[]; requestMs?: number } = {},
): Promise<Report> {
  const timeouts = { ...SELF_TEST_TIMEOUTS, ...(opts.requestMs ? { requestMs: opts.requestMs } : {}) };
  return runConformance({ executable, timeouts, concurrency: 2, expectedFailures: opts.expectedFailures });
}

/** The checks that did not pass or skip, with their status: the exact fingerprint of a fixture's defect. */
export function outcome(report: Report): Record<string, string> {
  return Object.fromEntries(
    report.checks.filter((c) => c.status !== 'pass' && c.status !== 'skip').map((c) => [c.id, c.status]),
  );
}

export function expectExactly(report: Report, expected: Record<string, 'fail' | 'warn'>): void {
  const why = report.checks
    .filter((c) => c.status === 'fail' || c.status === 'warn')
    .map((c) => `${c.id}: ${c.message}`)
    .join('\n');
  expect(outcome(report), why).toEqual(expected);
}

export const allChecksExcept = (...ids: string[]) =>
  Object.fromEntries(CATALOGUE.filter((c) => !ids.includes(c.id)).map((c) => [c.id, 'fail' as const]));
