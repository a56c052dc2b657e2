// What a token may name and carry: its scenario path is checked by its spelling and
// on disk before anything is imported; its parameters against the scenario's own.
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkTokenParams, defaultExportsValue, loadScenario, PARAMS_LIMITS, hashText, resolveScenarioFile, scenarioPathProblem, TokenError, type Scenario } from '../../src/engine/index.ts';

describe('scenarioPathProblem', () => {
  const refused: [string, RegExp][] = [
    ['/dev/null', /is absolute/],
    ['/tmp/x/evil.ts', /is absolute/],
    ['C:\\x\\evil.ts', /is absolute/],
    ['\\\\server\\evil.ts', /is absolute/],
    ['../evil.ts', /climbs out/],
    ['scenarios/../../evil.ts', /climbs out/],
    ['scenarios/_td.ts', /names a helper/],
    ['scenarios/./x.ts', /'\.' in it/],
    ['scenarios//x.ts', /'' in it/],
    ['.hidden/x.ts', /'\.hidden' in it/],
    ['scenarios/x y.ts', /'x y\.ts' in it/],
    ['scenarios/x\u2028.ts', /in it/],
    ['node_modules/evil/x.ts', /node_modules/],
    ['package.json', /not name a \.ts scenario file/],
    ['bin/septcheck.js', /not name a \.ts scenario file/],
    ['src/types.d.ts', /not name a \.ts scenario file/],
    ['vitest.config.ts', /test or config file/],
    ['test/e2e/sweep.test.ts', /test or config file/],
  ];
  it.each(refused)('refuses %j', (path, why) => {
    expect(scenarioPathProblem(path)).toMatch(why);
  });

  it.each(['scenarios/classic/abba-latent.ts', 'lost-update.ts', 'test/fixtures/scenarios/counter-race.scenario.ts'])('accepts %s', (path) => {
    expect(scenarioPathProblem(path)).toBeNull();
  });
});

describe('defaultExportsValue', () => {
  it.each([
    ['export default defineScenario({', true],
    ['export default catalogue_scenario(boundary, {', true],
    ['export default scenario;', true],
    ['export default function run() {}', false],
    ['export default async function run() {}', false],
    ['export default class X {}', false],
    ['const x = `\nexport default`;', false],
    ['// export default defineScenario({', false],
    ['export { s as default };', false],
  ])('%j: %s', (source, yes) => {
    expect(defaultExportsValue(source)).toBe(yes);
  });
});

describe('resolveScenarioFile', () => {
  let root: string;
  let outside: string;
  const SCENARIO = "import { defineScenario } from 'septcheck';\nexport default defineScenario({ name: 'x', expect: 'clean', setup() {} });\n";
  const hashOf = (p: string) => hashText(readFileSync(p, 'utf8'));
  const refusal = async (path: string, hash?: string) => {
    const e = await resolveScenarioFile(root, path, hash ?? hashOf(resolve(root, path))).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TokenError);
    return (e as Error).message;
  };

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'septcheck-path-'));
    outside = mkdtempSync(join(tmpdir(), 'septcheck-outside-'));
    mkdirSync(join(root, 'scenarios'));
    writeFileSync(join(root, 'scenarios/ok.ts'), SCENARIO);
    writeFileSync(join(root, 'scenarios/_helper.ts'), SCENARIO);
    writeFileSync(join(root, 'scenarios/no-default.ts'), 'export const x = 1;\n');
    writeFileSync(join(root, 'scenarios/big.ts'), `${SCENARIO}//${'x'.repeat(1024 * 1024)}\n`);
    writeFileSync(join(outside, 'evil.ts'), SCENARIO);
    symlinkSync(join(outside, 'evil.ts'), join(root, 'scenarios/link-out.ts'));
    symlinkSync(join(root, 'scenarios/_helper.ts'), join(root, 'scenarios/link-helper.ts'));
    mkdirSync(join(root, 'scenarios/dir.ts'));
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it('resolves a scenario file inside the root to its real path', async () => {
    expect(await resolveScenarioFile(root, 'scenarios/ok.ts', hashOf(join(root, 'scenarios/ok.ts')))).toBe(join(realpathSync(root), 'scenarios/ok.ts'));
  });

  it('refuses a symbolic link that leads outside the root, or to a helper', async () => {
    expect(await refusal('scenarios/link-out.ts')).toMatch(/^scenario path 'scenarios\/link-out\.ts' leads outside /);
    expect(await refusal('scenarios/link-helper.ts')).toMatch(/leads to scenarios\/_helper\.ts, which names a helper/);
  });

  it('refuses what is not a scenario file', async () => {
    expect(await refusal('scenarios/no-default.ts')).toMatch(/does not default-export a scenario/);
    expect(await refusal('scenarios/big.ts')).toMatch(/larger than 1048576 bytes/);
    expect(await refusal('scenarios/dir.ts', '0'.repeat(16))).toMatch(/is not a regular file/);
    expect(await refusal('scenarios/none.ts', '0'.repeat(16))).toBe('cannot read scenario file scenarios/none.ts (tokens name it relative to the project root: the folder of the nearest package.json, or for a scenario in no project the folder it was swept from)');
  });

  it("refuses septcheck's own code, even with its right hash", async () => {
    const repo = resolve('.');
    for (const f of ['src/index.ts', 'scripts/bench.ts', 'scripts/worker.ts', 'scripts/commands/regress.ts']) {
      const e = await resolveScenarioFile(repo, f, hashOf(join(repo, f))).catch((x: unknown) => x);
      expect((e as Error).message, f).toBe(`scenario path '${f}' is septcheck's own code, not a scenario`);
    }
  });

  it('refuses a file whose content changed', async () => {
    expect(await refusal('scenarios/ok.ts', 'f'.repeat(16))).toMatch(/^scenario changed: scenarios\/ok\.ts is not the file this token was made from/);
  });
});

describe('checkTokenParams', () => {
  const base = { name: 'p', expect: 'clean', setup() {} };
  const validated: Scenario<{ splitters: number; label: string }> = {
    ...base,
    params: { splitters: 2, label: 'a' },
    validate: (p) => (p.splitters >= 1 && p.splitters <= 8 ? null : `params.splitters: ${p.splitters} is not an integer in [1, 8]`),
  };
  const bare: Scenario<{ threads: number }> = { ...base, params: { threads: 3 } };
  const BIG = { splitters: 2, label: 'x'.repeat(PARAMS_LIMITS.json) };
  const drawn: Scenario<{ n: number }> = { ...base, paramsArbitrary: fc.record({ n: fc.integer({ min: 1, max: 4 }) }) };

  it.each([
    [validated, { splitters: 262143, label: 'a' }, "params.splitters: 262143 is not an integer in [1, 8]"],
    [validated, { splitters: 2 }, 'params.label: missing'],
    [validated, { splitters: 2, label: 'a', extra: 1 }, 'params.extra: not a parameter of this scenario'],
    [validated, JSON.parse('{"splitters":2,"label":"a","__proto__":{"x":1}}'), 'params.__proto__: not a parameter of this scenario'],
    [validated, { splitters: '2', label: 'a' }, 'params.splitters: expected number, got string'],
    [validated, '', 'params: expected object, got string'],
    [validated, BIG, `params: ${JSON.stringify(BIG).length} characters of JSON, more than ${PARAMS_LIMITS.json}`],
    [bare, { threads: 262143 }, "params: not the scenario's own, and it has no validate() to check others"],
    [drawn, { n: 99 }, "params: not the scenario's own, and it has no validate() to check others"],
    [{ ...base } as Scenario, { n: 1 }, 'params: this scenario takes no parameters'],
    [{ ...validated, validate: () => { throw new Error('boom'); } } as Scenario, { splitters: 2, label: 'a' }, 'validate() threw: boom'],
    [{ ...validated, validate: () => 42 } as unknown as Scenario, { splitters: 2, label: 'a' }, 'validate() returned 42, not null or a problem'],
  ] as [Scenario, unknown, string][])('refuses %#: %j', (s, given, problem) => {
    expect(checkTokenParams(s, given)).toEqual({ problem });
  });

  it("refuses the catalogue's {splitters: 262143} with the scenario's own validate()", async () => {
    const { scenario } = await loadScenario('scenarios/catalogue/concurrent-splitters.ts');
    expect(checkTokenParams(scenario, { splitters: 262143 })).toEqual({ problem: 'params.splitters: 262143 is not an integer in [0x1, 0x8]' });
    expect(checkTokenParams(scenario, { splitters: 3 })).toEqual({ params: { splitters: 3 } });
  });

  it.each([
    [validated, { splitters: 8, label: 'x\u2028*/`${' }],
    [bare, { threads: 3 }],
    [drawn, { n: 4 }],
    [validated, undefined],
  ] as [Scenario, unknown][])('accepts %#: %j', (s, given) => {
    expect(checkTokenParams(s, given)).toEqual({ params: given ?? s.params });
  });
});
