import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // Integration tests start real redis clusters; two at once on two cores skews their timing.
    fileParallelism: false,
    retry: 0,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
