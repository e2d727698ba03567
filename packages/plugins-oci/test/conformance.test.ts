import { fileURLToPath } from 'node:url';
import { runConformance } from '@routerd/conformance';
import { expect, it } from 'vitest';
import { TEST_IDENTITY } from './config.js';

it('oci dist/main.js passes the conformance suite, every check', async () => {
  const executable = fileURLToPath(new URL('../dist/main.js', import.meta.url));
  const report = await runConformance({ executable, config: { identity: TEST_IDENTITY }, concurrency: 2 });
  expect(
    report.checks
      .filter((c) => c.status === 'fail' || c.status === 'warn')
      .map((c) => `${c.id}: ${c.message}`),
  ).toEqual([]);
  expect(report.ok).toBe(true);
}, 180_000);
