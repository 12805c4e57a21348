import { defineConfig } from 'vitest/config';

/**
 * `npm run soak`: the long-running suites under test/soak (not part of CI; vitest.config.ts
 * must not include them). SOAK_SECONDS shortens the soak (default 600).
 */
const soakSeconds = Number(process.env.SOAK_SECONDS ?? '600');

export default defineConfig({
  test: {
    include: ['test/soak/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: (soakSeconds + 600) * 1000,
    hookTimeout: 300_000,
  },
});
