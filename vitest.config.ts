import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Inside this project 'septcheck' and 'septcheck/vitest' resolve through the
  // package's "exports", as they do in a project that installs it (test/package
  // checks that one needs no alias). Only the scenario files some tests write to a
  // temporary folder, outside any project, need 'septcheck' mapped here.
  resolve: { alias: [{ find: /^septcheck$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) }] },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
