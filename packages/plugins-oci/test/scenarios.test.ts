import { fileURLToPath } from 'node:url';
import {
  addressClaimScenarios,
  checkClaimScenario,
  createTestHost,
  type TestHost,
} from '@routerd/plugin-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ociPlugin } from '../src/plugin.js';
import { TEST_CONFIG } from './config.js';

const golden = (name: string) => fileURLToPath(new URL(`golden/${name}.json`, import.meta.url));

describe('oci: event batches → claims and plans (golden)', () => {
  let host: TestHost;
  beforeAll(async () => {
    host = await createTestHost(ociPlugin, { config: TEST_CONFIG });
  });
  afterAll(() => host.close());

  for (const scenario of addressClaimScenarios()) {
    it(`${scenario.name}: ${scenario.description}`, async () => {
      const check = await checkClaimScenario((r) => host.run(r), scenario, golden(scenario.name));
      expect(check.problems).toEqual([]);
      expect(check.actual).toBe(check.expected);
      expect(check.secondRun).toBe(check.actual);
    });
  }
});
