import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Each file gets its own database; two workers fit CI's two cores.
    maxWorkers: 2,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
