import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // npm installs (one of them compiles better-sqlite3), tsc runs and real processes on a shared 2-core machine.
    testTimeout: 180_000,
    hookTimeout: 300_000,
    // One worker per test file: they mostly wait on npm, tsc and the native compile, so the compile
    // (daemon.test.ts, the longest) starts at once instead of after the others.
    maxWorkers: 4,
    globalSetup: ['test/global-setup.ts'],
  },
});
