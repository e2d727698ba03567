import { capabilityChecks } from './capabilities.js';
import { lifecycleChecks } from './lifecycle.js';
import { robustnessChecks } from './robustness.js';
import { schemaChecks } from './schema.js';
import { transportChecks } from './transport.js';
import type { CheckImpl } from './types.js';

/** Implementation of every catalogue entry, by id (a test asserts the two lists are the same). */
export const CHECK_IMPLS: ReadonlyMap<string, CheckImpl> = new Map(
  [...lifecycleChecks, ...transportChecks, ...schemaChecks, ...capabilityChecks, ...robustnessChecks].map(
    (c) => [c.id, c],
  ),
);
