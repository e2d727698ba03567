import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Each test starts the AWS CLI (a Python process, about a second) a few times on a shared, loaded machine.
    testTimeout: 120_000,
  },
});
