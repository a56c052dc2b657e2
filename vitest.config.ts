import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Scenario files and tests import 'septcheck' and 'septcheck/vitest' by name, as a
  // user's project does; the package's "exports" resolve them (no alias).
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
