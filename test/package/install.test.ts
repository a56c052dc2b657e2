// septcheck as a dev dependency of another project: `npm pack` it, install the
// tarball into a fresh project (from npm's cache where it has the packages, so the
// test needs no registry when the checkout was installed on this machine), and use
// it there as its README says: scenarios with helpers and fast-check through
// 'septcheck', `npx septcheck sweep`, `replay` from a subdirectory, `check`, and a
// vitest test file with septcheck/vitest and no configuration.
import { spawn } from 'node:child_process';
import { cpSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, removeTempDirs, REPO, tempDir, write, type Result } from '../e2e/helpers.ts';

const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
const installed = (pkg: string) => (JSON.parse(readFileSync(join(REPO, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;

/** The environment of npm and what it runs: none of the npm or vitest settings of
 * the `npm test` running us (they would point the install back at the checkout). */
function env(): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', CI: '1' };
  for (const k of Object.keys(e)) if (/^(npm_|VITEST|INIT_CWD$|NODE_ENV$|TEST$)/i.test(k) && k !== 'npm_config_cache') delete e[k];
  return e;
}

function run(cmd: string, args: readonly string[], cwd: string): Promise<Result> {
  return collect(spawn(cmd, args, { cwd, env: env(), stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** `npx --no`: the installed command, never one fetched from the registry. */
const npx = (args: readonly string[], cwd: string) => run('npx', ['--no', '--', ...args], cwd);

let project: string;
let sweep: Result;

beforeAll(async () => {
  // Pack a copy, so that the declarations prepack builds land outside the checkout.
  const copy = tempDir('pack-src');
  for (const f of ['package.json', 'README.md', 'tsconfig.json', 'tsconfig.types.json']) cpSync(join(REPO, f), join(copy, f));
  for (const d of ['bin', 'src', 'scripts', 'docs']) cpSync(join(REPO, d), join(copy, d), { recursive: true });
  symlinkSync(join(REPO, 'node_modules'), join(copy, 'node_modules'), 'dir');
  const out = tempDir('pack-out');
  const pack = await run('npm', ['pack', '--json', '--pack-destination', out], copy);
  expect(pack.code, pack.stderr).toBe(0);
  const [{ filename }] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as [{ filename: string }];

  // A project of a kernel developer's: its own scenarios and tests; no "type" field,
  // no vitest config, no alias.
  project = tempDir('project');
  write(join(project, 'package.json'), `${JSON.stringify({ name: 'my-review', private: true }, null, 2)}\n`);
  // The project's TypeScript is the checkout's `tsc`, TypeScript 7 (installed here as
  // @typescript/native; `typescript` is TypeScript 6, for the lint's compiler API).
  const install = await run(
    'npm',
    ['install', '--save-dev', '--prefer-offline', '--no-audit', '--no-fund', join(out, filename), `vitest@${installed('vitest')}`, `typescript@${installed('@typescript/native')}`],
    project,
  );
  expect(install.code, install.stderr).toBe(0);

  write(
    join(project, 'tsconfig.json'),
    `${JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, allowImportingTsExtensions: true, skipLibCheck: true, types: [] }, include: ['scenarios', 'test'] }, null, 2)}\n`,
  );
  // b.ts imports a helper that imports 'septcheck' and fast-check (through it).
  write(
    join(project, 'scenarios', '_counter.ts'),
    `import { fc, type Run } from 'septcheck';

export const counters = fc.integer({ min: 2, max: 3 });

/** \`n\` threads each add one to a counter, reading and writing it in two steps. */
export function incrementers(run: Run, n: number, locked: boolean): () => number {
  let value = 0;
  let busy = false;
  for (let i = 0; i < n; i++) {
    run.spawn(\`inc\${i}\`, async () => {
      if (locked) {
        await run.point({ kind: 'lock', obj: 'counter', waitsOn: () => (busy ? ['holder'] : null) });
        busy = true;
      }
      const seen = value;
      await run.point({ kind: 'store', obj: 'counter' });
      value = seen + 1;
      busy = false;
    });
  }
  return () => value;
}
`,
  );
  const scenario = (name: string, locked: boolean, expect: string) =>
    write(
      join(project, 'scenarios', `${name}.ts`),
      `import { defineScenario } from 'septcheck';
import { counters, incrementers } from './_counter.ts';

export default defineScenario<number>({
  name: '${name}',
  expect: '${expect}',
  bounds: { strategy: 'dfs', schedules: 500 },
  params: 2,
  paramsArbitrary: counters,
  setup(run, n) {
    const value = incrementers(run, n, ${locked});
    run.invariant('lost-update', () => (run.allDone() && value() !== n ? \`\${n} increments, but the counter reads \${value()}\` : null));
  },
});
`,
    );
  scenario('b', false, 'invariant:lost-update');
  scenario('b-fixed', true, 'clean');
  sweep = await npx(['septcheck', 'sweep', '--workers', '1'], project);
}, 300_000);
afterAll(removeTempDirs);

describe('septcheck installed in another project', () => {
  it('npx septcheck is the installed package', async () => {
    const r = await npx(['septcheck', '--version'], project);
    expect([r.code, r.stdout]).toEqual([0, `${version}\n`]);
  });

  it('sweeps its scenarios/, helpers and fast-check included', () => {
    expect(sweep.stderr).toBe('');
    expect(sweep.code).toBe(0);
    expect(sweep.stdout).toMatch(/^ok {3}scenarios\/b\.ts: expected invariant:lost-update, found invariant:lost-update/m);
    expect(sweep.stdout).toMatch(/^ok {3}scenarios\/b-fixed\.ts: expected clean, clean, proved/m);
    expect(sweep.stdout).toMatch(/^2 met, 0 failed$/m);
  });

  it('replays the token from a subdirectory of the project', async () => {
    const token = /^ {2}septcheck replay (sc2\.\S+)$/m.exec(sweep.stdout)?.[1];
    expect(token).toBeDefined();
    write(join(project, 'test', '.keep'), '');
    const r = await npx(['septcheck', 'replay', token!], join(project, 'test'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^invariant:lost-update: 2 increments, but the counter reads 1/);
  });

  it('type-checks the scenarios with the project TypeScript and its types', async () => {
    const r = await npx(['septcheck', 'check'], project);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('2 scenario files: no type errors, 0 with problems, 0 could not be checked\n');
    expect(r.code).toBe(0);
  });

  it('runs a vitest test file with septcheck/vitest, typed, and no configuration', async () => {
    write(
      join(project, 'test', 'scenarios.test.ts'),
      `import { expect, it } from 'vitest';
import { testScenario } from 'septcheck/vitest';

testScenario('scenarios/b.ts');
testScenario('scenarios/b-fixed.ts');

it('finds the lost update, and the fix is clean', async () => {
  await expect('scenarios/b.ts').toFind('invariant:lost-update');
  await expect('scenarios/b-fixed.ts').toBeClean();
});
`,
    );
    const types = await npx(['tsc', '-p', '.'], project);
    expect(types.stdout + types.stderr).toBe('');
    expect(types.code).toBe(0);
    const r = await npx(['vitest', 'run', 'test/scenarios.test.ts'], project);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Tests +3 passed \(3\)/);
  });

  it("fails a vitest test with the report, the interleaving and a token the project's septcheck replays", async () => {
    write(
      join(project, 'test', 'fails.test.ts'),
      `import { expect, it } from 'vitest';
import 'septcheck/vitest';

it('is clean', async () => {
  await expect('scenarios/b.ts').toBeClean();
});
`,
    );
    const r = await npx(['vitest', 'run', 'test/fails.test.ts'], project);
    expect(r.code).toBe(1);
    const out = r.stdout + r.stderr;
    expect(out).toContain('expected scenarios/b.ts to be clean, but it found invariant:lost-update in');
    expect(out).toContain('invariant:lost-update: 2 increments, but the counter reads 1');
    expect(out).toMatch(/step +inc0 \(cpu0\) +inc1 \(cpu\d\)/);
    const token = /septcheck replay (sc2\.[A-Za-z0-9_-]+)/.exec(out)?.[1];
    expect(token).toBeDefined();
    const replayed = await npx(['septcheck', 'replay', token!], project);
    expect(replayed.code, replayed.stderr).toBe(1);
  });
});
