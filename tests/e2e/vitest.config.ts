import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // test/reliability is its own run (vitest.reliability.config.ts), after these.
    exclude: ['**/node_modules/**', 'test/reliability/**'],
    // Bounds, not timing claims: a test starts up to four daemons and a dozen routerctl processes, which on a
    // loaded 2-core machine can take tens of seconds.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Child-process tests share 2 cores with everything else; keep them from starving each other.
    maxWorkers: 2,
  },
});
