// ESLint runs in `npm run typecheck`, after tsc, for one thing tsc does not check:
// a promise nobody awaits. Every kernel primitive and model call is async (each is
// a scheduling point), so `read_lock(kvm.mmu_lock)` without `await` lets the thread
// run on as if it held the lock; at run time that is a `missing-await` finding, and
// this lint reports it in the editor and in typecheck, at its line.
//
// Only the two promise rules run, type-aware. TypeScript 7 (`tsc`, package
// `@typescript/native`) has no compiler API, so the package named `typescript` is
// TypeScript 6 (`@typescript/typescript6`), which typescript-eslint loads.
import tseslint from 'typescript-eslint';

export default [
  // test/lint/tmp-*: the files test/lint writes to lint, one forgetting an await.
  { ignores: ['dist/', 'out/', 'test-results/', 'test/lint/tmp-*/'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
];
