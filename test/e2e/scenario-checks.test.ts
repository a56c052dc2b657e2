// End to end: scenarios are checked like code. A typo'd field, an unknown finding
// kind and an invariant the scenario never registers are bad input with a
// suggestion, before anything runs; `septcheck check` type-checks scenario files
// with the project's TypeScript settings wherever they are, and reports every
// problem at once.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTempDirs, septcheck, tempDir, write } from './helpers.ts';

let dir: string;
/** A scenario whose fields are `fields` (spread over a good one, so TypeScript lets
 * the typo through and only the schema can catch it). */
const spread = (name: string, fields: string) =>
  write(
    join(dir, 'runtime', `${name}.ts`),
    `import { defineScenario } from 'septcheck';
const good = defineScenario({
  name: '${name}',
  expect: 'clean',
  setup(run) {
    run.spawn('a', async () => { await run.point({ kind: 'x' }); });
    run.invariant('zapped-stays-zapped', () => null);
  },
});
export default { ...good, ${fields} };
`,
  );

beforeAll(() => {
  dir = tempDir('checks');
});
afterAll(removeTempDirs);

describe.concurrent('typos are bad input with a suggestion', () => {
  const cases: [string, string, string][] = [
    ['bound', 'bound: { schedules: 5 }', "invalid scenario: unknown field 'bound' (did you mean 'bounds'?)"],
    ['nested', "bounds: { strategy: 'dfs', schedule: 5 }", "invalid scenario: unknown field 'bounds.schedule' (did you mean 'bounds.schedules'?)"],
    ['clean-case', "expect: 'Clean'", "invalid scenario: field 'expect': unknown kind 'Clean': did you mean 'clean'?"],
    ['underscores', "expect: 'sleep_in_atomic'", "invalid scenario: field 'expect': unknown kind 'sleep_in_atomic': did you mean 'sleep-in-atomic'?"],
    [
      'invariant-name',
      "expect: 'invariant:zapped_stays_zapped'",
      "invalid scenario: field 'expect': no invariant 'zapped_stays_zapped' is registered by this scenario: did you mean 'invariant:zapped-stays-zapped'? (it registers: zapped-stays-zapped)",
    ],
    ['strategy', "bounds: { strategy: 'dfss' }", "invalid scenario: field 'bounds.strategy': unknown strategy 'dfss': did you mean 'dfs'?"],
  ];
  it.for(cases)('%s', async ([name, fields, message], { expect }) => {
    const file = spread(name, fields);
    const r = await septcheck(['sweep', file]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^septcheck: [^\n]+\n$/);
    expect(r.stderr.startsWith(`septcheck: ${file}: ${message}`)).toBe(true);
  });

  it('a kind that is known, or an invariant that is registered, is accepted', async ({ expect }) => {
    const ok = [spread('known-kind', "expect: 'clean'"), spread('registered', "expect: 'invariant:zapped-stays-zapped', bounds: { strategy: 'dfs' }")];
    const r = await septcheck(['sweep', ...ok, '--workers', '1']);
    // The second expects a finding its invariant never makes: a missed verdict, not bad input.
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('FAIL ');
  });
});

describe('septcheck check', () => {
  it('type-checks the files and their helpers with the project settings, and runs the schema checks', async () => {
    const project = join(dir, 'project');
    write(join(project, 'package.json'), '{ "name": "p", "private": true, "type": "module" }\n');
    // The project's settings: noUnusedLocals is on, so an unused local is an error.
    write(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noUnusedLocals: true, noEmit: true, types: [] } }),
    );
    write(join(project, 'scenarios', '_helpers.ts'), "import { fc } from 'septcheck';\nexport const arb = fc.integer({ min: 0, max: 3 });\nexport const width: number = 'wide';\n");
    write(
      join(project, 'scenarios', 'typed.ts'),
      `import { defineScenario } from 'septcheck';
import { arb } from './_helpers.ts';
const unused = 1;
export default defineScenario<number>({
  name: 'typed',
  expect: 'clean',
  bound: { schedules: 3 },
  params: 1,
  paramsArbitrary: arb,
  setup(run, n) { run.spawn('a', async () => { await run.point({ kind: String(n) }); }); },
});
`,
    );
    write(join(project, 'scenarios', 'fine.ts'), "import { defineScenario } from 'septcheck';\nexport default defineScenario({ name: 'fine', expect: 'clean', setup(run) { run.spawn('a', async () => {}); } });\n");
    const r = await septcheck(['check'], join(project, 'scenarios'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    // tsc's diagnostics, paths from the working directory: the helper's error too.
    expect(lines).toContain("_helpers.ts(3,14): error TS2322: Type 'string' is not assignable to type 'number'.");
    expect(lines).toContain("typed.ts(3,7): error TS6133: 'unused' is declared but its value is never read.");
    expect(lines.some((l) => /^typed\.ts\(7,3\): error TS2561: .*'bound'.*Did you mean to write 'bounds'\?/.test(l))).toBe(true);
    // Then the schema, for each file: every problem at once.
    expect(lines).toContain("scenarios/typed.ts: invalid scenario: unknown field 'bound' (did you mean 'bounds'?)");
    expect(lines.at(-1)).toBe('2 scenario files: type errors (above), 1 with problems, 0 could not be checked');
  });

  it('exits 0 on scenarios with nothing wrong, in no project at all', async () => {
    const loose = join(dir, 'loose');
    write(join(loose, '_h.ts'), "export { defineScenario } from 'septcheck';\n");
    write(join(loose, 'ok.ts'), "import { defineScenario } from './_h.ts';\nexport default defineScenario({ name: 'ok', expect: 'clean', setup(run) { run.spawn('a', async () => {}); } });\n");
    const r = await septcheck(['check', '.'], loose);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('1 scenario file: no type errors, 0 with problems, 0 could not be checked\n');
    expect(r.code).toBe(0);
  });
});
