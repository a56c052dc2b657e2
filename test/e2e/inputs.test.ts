// End to end: bad input is exit 2 and one line on stderr, never a stack trace; help
// shows examples; list shows scenarios and variants.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, type ExpectStatic } from 'vitest';
import { decodeToken, encodeToken, hashText, loadScenario, type TokenData } from '../../src/engine/index.ts';
import { variants } from '../../src/variants/index.ts';
import { removeTempDirs, REPO, septcheck, tempDir, tokenOf, write, type Result } from './helpers.ts';

let dir: string;
/** A scenario file outside the checkout, importing 'septcheck' as a user's would. */
const scenario = (name: string, text: string) => write(join(dir, `${name}.ts`), text);
/** A catalogue scenario (the boundary family) with the given fields. */
const boundary = (name: string, fields: string) =>
  scenario(
    name,
    `import { boundary } from '${join(REPO, 'scenarios/catalogue/_boundary.ts')}';
import { catalogue_scenario } from '${join(REPO, 'scenarios/catalogue/_td.ts')}';
export default catalogue_scenario(boundary, {
  name: '${name}',
  description: 'bad input',
  expect: 'clean',
  bounds: { strategy: 'random', schedules: 5 },
  ${fields}
});
`,
  );

beforeAll(() => {
  dir = tempDir('inputs');
});
afterAll(removeTempDirs);

/** Exit 2, nothing on stdout, exactly one line on stderr, and no stack trace. The
 * tests run concurrently, so each passes its own `expect`. */
function expectOneLine(expect: ExpectStatic, r: Result): string {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^septcheck: [^\n]+\n$/);
  expect(r.stderr).not.toMatch(/\n\s+at |Error:|node:internal/);
  return r.stderr.slice('septcheck: '.length, -1);
}

describe.concurrent('bad input: exit 2, one line, no stack trace', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['an unknown scenario path', () => ['sweep', 'scenarios/no-such-scenario.ts'], /^scenarios\/no-such-scenario\.ts: no such file or directory$/],
    ['a scenario folder that does not exist (list)', () => ['list', 'no/such/dir'], /^no\/such\/dir: no such file or directory$/],
    ['a --out folder that does not exist (merge)', () => ['merge', 'no/such/dir'], /^no\/such\/dir: not a sweep --out directory \(no scenarios\.jsonl\)$/],
    ['an unknown strategy', () => ['sweep', '--strategy', 'bogus', 'scenarios/classic/abba-ordered.ts'], /^unknown strategy 'bogus' \(expected one of: .*\bdpor\b.*\)$/],
    ['the replay strategy in a sweep', () => ['sweep', '--strategy', 'replay', 'scenarios/classic/abba-ordered.ts'], /^'replay' follows a regression's pinned schedule/],
    ['an unknown variant', () => [
      'sweep',
      scenario('unknown-variant', `import { defineScenario } from 'septcheck';\nexport default defineScenario({ name: 'x', variant: 'v9-nope', expect: 'clean', setup() {} });\n`),
    ], new RegExp(`^.*unknown-variant\\.ts: invalid scenario: field 'variant': unknown variant 'v9-nope' \\(expected one of: ${variants.map((v) => v.name).join(', ')}\\)$`)],
    ['an unknown variant in a catalogue scenario', () => ['sweep', boundary('catalogue-variant', "variant: 'v9-nope',")], /catalogue-variant\.ts: invalid scenario: field 'variant': unknown variant 'v9-nope'/],
    ['a malformed token (no prefix)', () => ['replay', 'not-a-token'], /^malformed replay token: expected it to start with 'sc2\.'$/],
    ['a malformed token (bad body)', () => ['replay', 'sc2.AAAA'], /^malformed replay token: /],
    ['a malformed token (not base64url)', () => ['replay', 'sc2.!!!'], /^malformed replay token: not base64url after the prefix$/],
    ['a scenario field of the wrong type', () => [
      'sweep',
      scenario('wrong-type', `import { defineScenario } from 'septcheck';\nexport default defineScenario({ name: 'x', expect: 42, setup() {} });\n`),
    ], /wrong-type\.ts: invalid scenario: field 'expect': .*expected string, received number$/],
    ['a scenario bound out of range', () => [
      'sweep',
      scenario('bad-bound', `import { defineScenario } from 'septcheck';\nexport default defineScenario({ name: 'x', expect: 'clean', bounds: { schedules: -5 }, setup() {} });\n`),
    ], /bad-bound\.ts: invalid scenario: field 'bounds\.schedules': .*expected number to be >0$/],
    ['a scenario without setup', () => ['sweep', scenario('no-setup', `export default { name: 'x', expect: 'clean' };\n`)], /no-setup\.ts: does not default-export defineScenario/],
    ['a scenario strategy that does not exist', () => [
      'sweep',
      scenario('bad-strategy', `import { defineScenario } from 'septcheck';\nexport default defineScenario({ name: 'x', expect: 'clean', bounds: { strategy: 'bogus' }, setup() {} });\n`),
    ], /bad-strategy\.ts: invalid scenario: field 'bounds\.strategy': unknown strategy 'bogus'/],
    ['a GFN beyond the leaf', () => ['sweep', boundary('gfn-range', "variant: 'v5-44-fixed', params: { leaf_level: 2, op: 'set_attributes', start: 0x10, end: 0x900000, vcpu: true },")],
      /gfn-range\.ts: invalid params: field 'params\.end': offset 0x900000 \(GFN 0x940000\) is outside the 2M leaf \[0x40000, 0x40200\)$/],
    ['a level that does not exist', () => ['sweep', boundary('bad-level', "variant: 'v5-44-fixed', params: { leaf_level: 4, op: 'set_attributes', start: 0x10, end: 0x12, vcpu: true },")],
      /bad-level\.ts: invalid params: field 'params\.leaf_level': 4 is not a level this scenario maps \(expected 2 \(2M\) or 3 \(1G\)\)$/],
    ['a range beyond gmem_pages', () => [
      'sweep',
      scenario('beyond-gmem', `import { cost } from '${join(REPO, 'scenarios/catalogue/_cost.ts')}';
import { catalogue_scenario } from '${join(REPO, 'scenarios/catalogue/_td.ts')}';
export default catalogue_scenario(cost, { name: 'x', description: 'x', variant: 'head-tail', expect: 'clean', bounds: { schedules: 1 }, params: { start: 2 ** 32 - 0x10, len: 0x20 } });
`),
    ], /beyond-gmem\.ts: invalid params: field 'params\.end': GFN 0x100000010 is beyond gmem_pages \(0x100000000\)$/],
    ['--schedules -3', () => ['sweep', '--schedules', '-3', 'scenarios/classic'], /--schedules must be an integer >= 1$/],
    ['--schedules 1.5', () => ['sweep', '--schedules', '1.5', 'scenarios/classic'], /--schedules must be an integer >= 1$/],
    ['--shard 3/2', () => ['sweep', '--shard', '3/2', 'scenarios/classic'], /^--shard '3\/2': expected i\/n with 1 <= i <= n, e\.g\. 1\/4$/],
    ['--shard 0/2', () => ['sweep', '--shard', '0/2', 'scenarios/classic'], /^--shard '0\/2': expected i\/n/],
    ['--workers 0', () => ['sweep', '--workers', '0', 'scenarios/classic'], /--workers must be an integer >= 1$/],
    ['--time -1', () => ['sweep', '--time', '-1', 'scenarios/classic'], /--time must be a positive number$/],
    ['--resume without --out', () => ['sweep', '--resume', 'scenarios/classic'], /^--resume needs --out DIR$/],
    ['an unknown flag', () => ['sweep', '--bogus'], /^unknown option '--bogus'$/],
    ['an unknown command', () => ['bogus'], /^unknown command 'bogus'$/],
    ['regress add without --name', () => ['regress', 'add', 'sc2.AAAA'], /^required option '--name <name>' not specified$/],
    ['regress add with a path for a name', () => ['regress', 'add', 'sc2.AAAA', '--name', '../x'], /^--name '\.\.\/x': use letters, digits/],
  ];

  it.for(cases)('%s', async ([, args, message], { expect }) => {
    const line = expectOneLine(expect, await septcheck(args()));
    expect(line).toMatch(message);
  });

  it('a token whose scenario file is not there (run from another folder)', async ({ expect }) => {
    const sweep = await septcheck(['sweep', 'scenarios/classic/gfp-kernel-under-rwlock.ts', '--workers', '1']);
    const token = /septcheck replay (sc2\.\S+)/.exec(sweep.stdout)![1]!;
    const line = expectOneLine(expect, await septcheck(['replay', token], dir));
    expect(line).toBe('cannot read scenario file scenarios/classic/gfp-kernel-under-rwlock.ts (tokens name it relative to the project root: the folder of the nearest package.json, or for a scenario in no project the folder it was swept from)');
  });
});

describe.concurrent('help', () => {
  const commands: [string, string[], string][] = [
    ['septcheck', [], 'septcheck sweep'],
    ['sweep', ['sweep'], 'septcheck sweep'],
    ['replay', ['replay'], 'septcheck replay'],
    ['regress', ['regress'], 'septcheck regress add'],
    ['regress add', ['regress', 'add'], 'septcheck regress add'],
    ['list', ['list'], 'septcheck list'],
    ['merge', ['merge'], 'septcheck merge'],
  ];
  it.for(commands)('%s --help shows usage and an example', async ([, cmd, example], { expect }) => {
    const r = await septcheck([...cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(new RegExp(`^Usage: septcheck${cmd.length > 0 ? ` ${cmd.join(' ')}` : ''} `));
    expect(r.stdout).toMatch(/\nExamples?:\n/);
    expect(r.stdout).toMatch(new RegExp(`^ {2}\\$ ${example} \\S`, 'm'));
  });
});

describe('list', () => {
  it('lists every scenario by folder and every variant, in at most 100 columns', async () => {
    const r = await septcheck(['list']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    for (const l of lines) expect([...l].length, l).toBeLessThanOrEqual(100);
    const [scenarioPart, variantPart] = r.stdout.split(/^Variants \(/m) as [string, string];
    const files: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(join(REPO, d)).sort()) {
        const p = `${d}/${e}`;
        if (statSync(join(REPO, p)).isDirectory()) walk(p);
        else if (e.endsWith('.ts') && !e.startsWith('_')) files.push(p);
      }
    };
    walk('scenarios');
    expect(r.stdout).toContain(`Scenarios (${files.length}):`);
    // Under each folder's header, a row per file (name, expected, variant) and its
    // description below, cut to fit.
    const block = scenarioPart.split('\n');
    for (const f of files) {
      const { scenario } = await loadScenario(join(REPO, f));
      const header = block.indexOf(`${dirname(f)}/`);
      expect(header, f).toBeGreaterThanOrEqual(0);
      const at = block.findIndex((l, i) => i > header && l.trim().split(/\s+/)[0] === scenario.name && l.includes(`(${basename(f)})`) === (scenario.name !== basename(f, '.ts')));
      expect(at, f).toBeGreaterThan(header);
      expect(block[at]!.trim().split(/\s{2,}/).slice(-2)).toEqual([scenario.expect, scenario.variant ?? '-']);
      const description = (scenario.description ?? '').split('\n')[0]!;
      const shown = block[at + 1]!.trim();
      expect(shown.endsWith('…') ? description.startsWith(shown.slice(0, -1)) : shown === description, f).toBe(true);
    }
    expect(variantPart.startsWith(`${variants.length}):`)).toBe(true);
    for (const v of variants) {
      const row = variantPart.split('\n').filter((l) => l.trim().split(/\s+/)[0] === v.name);
      expect(row, v.name).toHaveLength(1);
      const shown = row[0]!.trim().slice(v.name.length).trim();
      expect(v.description.startsWith(shown.replace(/…$/, ''))).toBe(true);
    }
    expect(r.stdout).toMatch(/^Strategies: random, .*dpor/m);
    expect(r.stdout).toContain('(replay: regressions only)');
  });
});

describe.concurrent('hostile tokens: exit 2, one line, nothing imported', () => {
  let base: TokenData;
  beforeAll(async () => {
    const sweep = await septcheck(['sweep', 'scenarios/classic/gfp-kernel-under-rwlock.ts', '--workers', '1']);
    base = decodeToken(tokenOf(sweep.stdout, 'gfp-kernel-under-rwlock'));
  });
  /** The real token, naming another file with that file's own hash. */
  const naming = (path: string) => {
    const abs = isAbsolute(path) ? path : join(REPO, path);
    const hash = existsSync(abs) && statSync(abs).isFile() ? hashText(readFileSync(abs, 'utf8')) : base.scenario.hash;
    return encodeToken({ ...base, scenario: { path, hash } });
  };
  const cases: [string, () => string, string][] = [
    ['an absolute path', () => naming(join(REPO, 'scripts/bench.ts')), `scenario path '${join(REPO, 'scripts/bench.ts')}' is absolute: a token names its scenario relative to its project root`],
    ['/dev/null', () => naming('/dev/null'), "scenario path '/dev/null' is absolute: a token names its scenario relative to its project root"],
    ["a path with '..'", () => naming('scenarios/../../etc/x.ts'), "scenario path 'scenarios/../../etc/x.ts' climbs out of the folder with '..'"],
    ['package.json', () => naming('package.json'), "scenario path 'package.json' does not name a .ts scenario file"],
    ['bin/septcheck.js', () => naming('bin/septcheck.js'), "scenario path 'bin/septcheck.js' does not name a .ts scenario file"],
    ['src/index.ts', () => naming('src/index.ts'), "scenario path 'src/index.ts' is septcheck's own code, not a scenario"],
    ['scripts/bench.ts', () => naming('scripts/bench.ts'), "scenario path 'scripts/bench.ts' is septcheck's own code, not a scenario"],
    ['a helper', () => naming('scenarios/catalogue/_td.ts'), "scenario path 'scenarios/catalogue/_td.ts' names a helper (a file starting with '_'), not a scenario"],
    ['params the scenario has none of', () => encodeToken({ ...base, params: { splitters: 262143 } }), 'scenarios/classic/gfp-kernel-under-rwlock.ts: the token\'s params: this scenario takes no parameters'],
    ['a variant claim', () => encodeToken({ ...base, variant: 'v3' } as TokenData), 'malformed replay token: token: Unrecognized key: "variant"'],
  ];
  it.for(cases)('%s', async ([, token, message], { expect }) => {
    for (const args of [['replay', token()], ['regress', 'add', token(), '--name', 'never-written']]) {
      expect(expectOneLine(expect, await septcheck(args))).toBe(message);
    }
    expect(existsSync(join(REPO, 'scenarios/regressions/never-written.ts'))).toBe(false);
  });
});
