import { runConformance } from '@routerd/conformance';
import { defineAddressClaimContract } from '@routerd/plugin-sdk/testing';
import * as vitest from 'vitest';
import { ociPlugin } from '../src/plugin.js';
import { SUBNET, TEST_CONFIG } from './config.js';
import { startFakeImds } from './fake-imds.js';

defineAddressClaimContract(vitest, {
  provider: 'oci',
  plugin: ociPlugin,
  packageDir: new URL('..', import.meta.url),
  config: TEST_CONFIG,
  metadata: { start: startFakeImds, config: { subnetId: SUBNET }, service: 'OCI IMDS v2 ' },
  runConformance,
});
