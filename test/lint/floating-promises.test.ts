// `npm run typecheck` lints for promises nobody awaits (eslint.config.js): a scenario
// that calls read_lock() without `await` is reported at that line, before it runs
// (where it would be a `missing-await` finding), and the same file with its `await`
// passes. The files are written into a folder inside the checkout, so that its
// tsconfig.json (and its 'septcheck' path) types them as it types scenarios/.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** A vCPU fault path against a conversion; `awaited` says whether the vCPU awaits
 * its read_lock(). */
function scenario(awaited: boolean): string {
  return `import { defineScenario, DEFINE_RWLOCK, Kernel, read_lock, read_unlock, write_lock, write_unlock } from 'septcheck';

export default defineScenario({
  name: 'fault-vs-conversion',
  description: 'a vCPU fault takes mmu_lock for read while a conversion takes it for write',
  expect: 'clean',
  setup(run) {
    const k = new Kernel(run);
    const mmu_lock = DEFINE_RWLOCK(k, 'mmu_lock');
    k.kthread('vcpu0', async () => {
      ${awaited ? 'await ' : ''}read_lock(mmu_lock);
      await read_unlock(mmu_lock);
    }, { cpu: 0 });
    k.kthread('set_attributes', async () => {
      await write_lock(mmu_lock);
      await write_unlock(mmu_lock);
    }, { cpu: 1 });
  },
});
`;
}

/** The line of read_lock( in the generated file (1-based). */
const READ_LOCK_LINE = scenario(false).split('\n').findIndex((l) => l.includes('read_lock(mmu_lock);')) + 1;

let dir: string;
let forgot: string;
let awaited: string;

beforeAll(() => {
  // Inside test/, which tsconfig.json includes (a folder starting with '.' it would
  // not); .gitignore and eslint.config.js ignore these folders.
  dir = mkdtempSync(join(REPO, 'test', 'lint', 'tmp-'));
  forgot = join(dir, 'fault-forgets-await.ts');
  awaited = join(dir, 'fault-awaits.ts');
  writeFileSync(forgot, scenario(false));
  writeFileSync(awaited, scenario(true));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the lint in npm run typecheck', () => {
  it('reports read_lock() without await at its line, and passes the file with it', async () => {
    // The checkout's own eslint.config.js; `ignore: false` only because the config
    // ignores these temporary folders when it lints the checkout.
    const eslint = new ESLint({ cwd: REPO, ignore: false });
    const results = await eslint.lintFiles([forgot, awaited]);
    const of = (file: string) => results.find((r) => r.filePath === file)!;

    const messages = of(forgot).messages.map((m) => ({ rule: m.ruleId, line: m.line, column: m.column, severity: m.severity }));
    expect(messages).toEqual([{ rule: '@typescript-eslint/no-floating-promises', line: READ_LOCK_LINE, column: 7, severity: 2 }]);
    expect(readFileSync(forgot, 'utf8').split('\n')[READ_LOCK_LINE - 1].trim()).toBe('read_lock(mmu_lock);');

    expect(of(awaited).messages).toEqual([]);
  });

  it('is part of npm run typecheck, after tsc', () => {
    const { scripts } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(scripts.typecheck).toMatch(/^tsc --noEmit .*&& eslint /);
  });

  it('tsc is TypeScript 7, while the package typescript-eslint loads is TypeScript 6', () => {
    // Both install a `tsc`; the one `npm run typecheck` runs must be the native one.
    const tsc = execFileSync(join(REPO, 'node_modules', '.bin', 'tsc'), ['--version'], { encoding: 'utf8' });
    expect(tsc).toMatch(/^Version 7\./);
    const api = JSON.parse(readFileSync(join(REPO, 'node_modules', 'typescript', 'package.json'), 'utf8')) as { version: string };
    expect(api.version).toMatch(/^6\./);
  });
});
