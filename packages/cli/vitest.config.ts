import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Bounds, not timing claims: a test starts a daemon and a dozen routerctl processes, which on a loaded
    // 2-core machine can take tens of seconds.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Child-process tests share 2 cores with everything else; keep them from starving each other.
    maxWorkers: 2,
  },
});
