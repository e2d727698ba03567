import { defineConfig } from 'vitest/config';

// The reliability suite (test/reliability): real daemons under faults. One file at a time — the
// scenarios measure recovery times and share 2 cores, namespaces and nftables.
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    globalSetup: ['test/reliability/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
