import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // expect.poll waits for what a browser or a background worker does next; vitest's 1 s default
    // is shorter than a page's round trip on a loaded two-core machine.
    expect: { poll: { timeout: 10_000 } },
    pool: 'forks',
    // Each file gets its own database; two workers fit CI's two cores.
    maxWorkers: 2,
    // CI runs the README's `npm test` literally and reads the counts from this file.
    reporters: process.env.RSVP_TEST_JSON
      ? ['default', ['json', { outputFile: process.env.RSVP_TEST_JSON }]]
      : ['default'],
  },
});
