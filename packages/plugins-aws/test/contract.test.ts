import { runConformance } from '@routerd/conformance';
import { defineAddressClaimContract } from '@routerd/plugin-sdk/testing';
import * as vitest from 'vitest';
import { awsPlugin } from '../src/plugin.js';
import { TEST_CONFIG } from './config.js';
import { startFakeImds } from './fake-imds.js';

defineAddressClaimContract(vitest, {
  provider: 'aws',
  plugin: awsPlugin,
  packageDir: new URL('..', import.meta.url),
  config: TEST_CONFIG,
  metadata: { start: startFakeImds, config: {}, service: 'AWS IMDSv2 ' },
  runConformance,
});
