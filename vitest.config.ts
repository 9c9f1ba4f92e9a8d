import { defineConfig } from 'vitest/config';

/**
 * Tests that take tens of seconds (processes killed and resumed, coverage Monte Carlo, the packed
 * tarball in a consumer project): a project of their own, so that `vitest run --project fast`
 * gives quick feedback; `npm test` runs both.
 */
const SLOW = [
  'test/session/label-kill.test.ts',
  'test/session/coverage.test.ts',
  'test/session/coverage-test-models.test.ts',
  'test/session/comparison-coverage.test.ts',
  'test/oracle/coverage.test.ts',
  'test/experiment/resume.test.ts',
  'test/package/consumer.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    globalSetup: ['test/temp-root.ts'],
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'fast', include: ['test/**/*.test.ts'], exclude: SLOW } },
      { extends: true, test: { name: 'slow', include: SLOW } },
    ],
  },
});
