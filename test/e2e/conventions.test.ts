// End to end: the command line's conventions. --version; '-' for standard output
// wherever a file is written; SEPTCHECK_* in the environment, flags winning; "did you
// mean" for strategies, options and commands; an empty sweep refused; paths from the
// project root, so sweep and replay work from any subdirectory; unique JUnit names;
// --keep-going; a fixed budget; the default number of workers.
import { mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeToken } from '../../src/engine/index.ts';
import { readJson, removeTempDirs, REPO, septcheck, tempDir, tokensIn, write, type Result, type SweepRecord } from './helpers.ts';

const GFP = 'scenarios/classic/gfp-kernel-under-rwlock.ts';

let dir: string;
/** A scenario file in the temporary folder. */
const scenario = (name: string, text: string) => write(join(dir, name), text);
/** One thread, a point, and `fields` in defineScenario. */
const tiny = (name: string, fields: string) =>
  `import { defineScenario } from 'septcheck';
export default defineScenario({
  name: '${name}',
  expect: 'clean',
  ${fields}
  setup(run) {
    run.spawn('a', async () => { await run.point({ kind: 'x' }); });
    run.spawn('b', async () => { await run.point({ kind: 'y' }); });
  },
});
`;

beforeAll(() => {
  dir = tempDir('conventions');
});
afterAll(removeTempDirs);

/** Exit 2, one line on stderr naming the problem, nothing on stdout. */
function oneLine(r: Result): string {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^septcheck: [^\n]+\n$/);
  return r.stderr.slice('septcheck: '.length, -1);
}

describe('--version', () => {
  it("prints the package's version", async () => {
    const { version } = readJson<{ version: string }>(join(REPO, 'package.json'));
    for (const flag of ['--version', '-V']) {
      const r = await septcheck([flag]);
      expect([r.code, r.stdout, r.stderr]).toEqual([0, `${version}\n`, '']);
    }
  });
});

describe("'-' is standard output", () => {
  it('sweep --json - prints only the JSON on stdout; the lines go to stderr', async () => {
    const json = await septcheck(['sweep', GFP, '--workers', '1', '--json', '-']);
    const file = join(dir, 'gfp.json');
    const plain = await septcheck(['sweep', GFP, '--workers', '1', '--json', file]);
    expect([json.code, plain.code]).toEqual([0, 0]);
    expect(JSON.parse(json.stdout)).toEqual(readJson(file));
    expect(json.stderr).toBe(plain.stdout);
  });

  it('sweep --junit - prints the XML', async () => {
    const r = await septcheck(['sweep', GFP, '--workers', '1', '--junit', '-']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="septcheck" tests="1" failures="0" errors="0">\n[\s\S]*<\/testsuites>\n$/);
    expect(r.stderr).toContain('1 met, 0 failed');
  });

  it('merge --json - and replay --html - print to stdout', async () => {
    const out = join(dir, 'merge-out');
    const s = await septcheck(['sweep', GFP, '--workers', '1', '--out', out]);
    expect(s.code).toBe(0);
    const merged = await septcheck(['merge', out, '--json', '-']);
    expect(merged.code).toBe(0);
    expect((JSON.parse(merged.stdout) as SweepRecord[]).map((r) => r.file)).toEqual([GFP]);
    const [token] = tokensIn(s.stdout);
    const html = await septcheck(['replay', token!, '--html', '-']);
    expect(html.code).toBe(1);
    expect(html.stdout).toMatch(/^<!DOCTYPE html>/i);
  });

  it("refuses '-' for both --json and --junit", async () => {
    expect(oneLine(await septcheck(['sweep', GFP, '--json', '-', '--junit', '-']))).toBe("--json and --junit cannot both be '-' (standard output)");
  });
});

describe('SEPTCHECK_* environment variables', () => {
  const sweepOf = async (name: string, env: NodeJS.ProcessEnv, flags: string[] = []) => {
    const out = join(dir, `env-${name}`);
    const file = scenario(`env-${name}.ts`, tiny(`env-${name}`, "bounds: { strategy: 'dfs', schedules: 1000 },"));
    const r = await septcheck(['sweep', file, '--workers', '1', '--out', out, '--json', join(out, 'sweep.json'), ...flags], REPO, env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const meta = readJson<{ settings: Record<string, unknown> }>(join(out, 'sweep-meta.json'));
    return { settings: meta.settings, record: readJson<SweepRecord[]>(join(out, 'sweep.json'))[0]! };
  };

  it('override the bounds of every scenario', async () => {
    const env = { SEPTCHECK_STRATEGY: 'random', SEPTCHECK_SCHEDULES: '3', SEPTCHECK_SEED: '42', SEPTCHECK_PREEMPTIONS: '1' };
    const { settings, record } = await sweepOf('set', env);
    expect(settings).toMatchObject({ strategy: 'random', schedules: 3, seed: 42, preemptions: 1 });
    expect([record.strategy, record.schedules]).toEqual(['random', 3]);
  });

  it('lose to the flags', async () => {
    const env = { SEPTCHECK_STRATEGY: 'random', SEPTCHECK_SCHEDULES: '3', SEPTCHECK_SEED: '42', SEPTCHECK_PREEMPTIONS: '1' };
    const { settings, record } = await sweepOf('flags', env, ['--strategy', 'pct', '--schedules', '5', '--seed', 'x', '--preemptions', '0']);
    expect(settings).toMatchObject({ strategy: 'pct', schedules: 5, seed: 'x', preemptions: 0 });
    expect([record.strategy, record.schedules]).toEqual(['pct', 5]);
  });

  it('are checked as the flags are', async () => {
    expect(oneLine(await septcheck(['sweep', GFP], REPO, { SEPTCHECK_SCHEDULES: 'many' }))).toBe(
      "option '--schedules <n>' value 'many' from env 'SEPTCHECK_SCHEDULES' is invalid. --schedules must be an integer >= 1",
    );
    expect(oneLine(await septcheck(['sweep', GFP], REPO, { SEPTCHECK_STRATEGY: 'dfss' }))).toMatch(/^unknown strategy 'dfss': did you mean 'dfs'\? \(expected one of: /);
  });
});

describe('did you mean', () => {
  it.each([
    [['sweep', '--strategy', 'dfss', GFP], /^unknown strategy 'dfss': did you mean 'dfs'\? \(expected one of: .*\bportfolio\b.*\)$/],
    [['sweep', '--strategy', 'PCT', GFP], /^unknown strategy 'PCT': did you mean 'pct'\?/],
    [['sweep', '--schedule', '3', GFP], /^unknown option '--schedule' \(did you mean '--schedules'\?\)$/],
    [['swep'], /^unknown command 'swep' \(did you mean 'sweep'\?\)$/],
  ])('%j', async (args, message) => {
    expect(oneLine(await septcheck(args))).toMatch(message);
  });
});

describe('an empty sweep', () => {
  it('is bad input: exit 2, "no scenarios found"', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(join(empty, 'nested'), { recursive: true });
    write(join(empty, '_helper.ts'), 'export const x = 1;\n');
    for (const cmd of ['sweep', 'list', 'check']) {
      expect(oneLine(await septcheck([cmd, empty]))).toBe(`no scenarios found in ${empty} (scenario files end in .ts; files starting with '_' are helpers)`);
    }
  });
});

describe('paths from the project root', () => {
  let project: string;
  let sweep: Result;
  beforeAll(async () => {
    // A project of its own: package.json at the top, scenarios/ below, run from deep inside.
    project = join(dir, 'project');
    write(join(project, 'package.json'), '{ "name": "project", "private": true }\n');
    write(join(project, 'scenarios', '_helpers.ts'), "export { defineScenario } from 'septcheck';\n");
    write(
      join(project, 'scenarios', 'lost.ts'),
      `import { defineScenario } from './_helpers.ts';
export default defineScenario({
  name: 'lost',
  expect: 'invariant:lost-update',
  bounds: { strategy: 'dfs', schedules: 100 },
  setup(run) {
    let value = 0;
    let done = 0;
    for (const name of ['inc0', 'inc1']) run.spawn(name, async () => {
      const seen = value;
      await run.point({ kind: 'store', obj: 'value' });
      value = seen + 1;
      done++;
    });
    run.invariant('lost-update', () => (done === 2 && value !== 2 ? 'an update was lost' : null));
  },
});
`,
    );
    mkdirSync(join(project, 'src', 'deep'), { recursive: true });
    mkdirSync(join(project, 'docs'), { recursive: true });
    sweep = await septcheck(['sweep', '--workers', '1'], join(project, 'src', 'deep'));
  });

  it("sweeps the project's scenarios/ from a subdirectory, naming files from the root", () => {
    expect(sweep.stderr).toBe('');
    expect(sweep.code).toBe(0);
    expect(sweep.stdout).toMatch(/^ok {3}scenarios\/lost\.ts: expected invariant:lost-update, found invariant:lost-update/m);
  });

  it('names the scenario from the root in the token, which replays from another subdirectory', async () => {
    const [token] = tokensIn(sweep.stdout);
    expect(decodeToken(token!).scenario.path).toBe('scenarios/lost.ts');
    const r = await septcheck(['replay', token!], join(project, 'docs'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^invariant:lost-update: an update was lost/);
  });

  it('finds a path from the root when the working directory has none', async () => {
    const r = await septcheck(['sweep', 'scenarios/lost.ts', '--workers', '1'], join(project, 'docs'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ok   scenarios/lost.ts: ');
  });
});

describe('JUnit names', () => {
  it('are unique: a regression and its scenario, by folder', async () => {
    const r = await septcheck(['sweep', 'scenarios/catalogue/topup-short.ts', 'scenarios/regressions/topup-short.ts', '--workers', '1', '--junit', '-']);
    expect(r.code).toBe(0);
    const names = [...r.stdout.matchAll(/<testcase classname="[^"]*" name="([^"]+)"/g)].map((m) => m[1]);
    expect(names).toEqual(['catalogue/topup-short', 'regressions/topup-short']);
  });
});

describe('--keep-going', () => {
  it('collects every finding kind of a scenario, each with a token that replays it', async () => {
    const file = 'test/e2e/fixtures/keep-going/two-kinds.ts';
    const json = join(dir, 'keep-going.json');
    const [first, all] = await Promise.all([
      septcheck(['sweep', file, '--workers', '1', '--json', '-']),
      septcheck(['sweep', file, '--workers', '1', '--keep-going', '--json', json]),
    ]);
    expect([first.code, all.code]).toEqual([0, 0]);
    const one = (JSON.parse(first.stdout) as SweepRecord[])[0]!;
    const every = readJson<SweepRecord[]>(json)[0]!;
    expect(one.findings.map((f) => f.kind)).toEqual(['invariant:odd']);
    expect(every.findings.map((f) => f.kind)).toEqual(['invariant:odd', 'lock-held-at-exit']);
    // The verdict is the first finding's, as without --keep-going.
    expect([every.found, every.met]).toEqual(['invariant:odd', true]);
    for (const f of every.findings) {
      const r = await septcheck(['replay', f.token]);
      expect(r.code, r.stderr).toBe(1);
      expect(decodeToken(f.token).kind).toBe(f.kind);
    }
    expect(tokensIn(all.stdout)).toEqual(every.findings.map((f) => f.token));
  });
});

describe('a fixed budget', () => {
  it('is not changed by --schedules; other scenarios are', async () => {
    const fixed = scenario('fixed.ts', tiny('fixed', "bounds: { strategy: 'random', schedules: 2, fixed: true },"));
    const free = scenario('free.ts', tiny('free', "bounds: { strategy: 'random', schedules: 2 },"));
    const r = await septcheck(['sweep', fixed, free, '--workers', '1', '--schedules', '9', '--json', '-']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as SweepRecord[]).map((x) => [x.name, x.schedules])).toEqual([
      ['fixed', 2],
      ['free', 9],
    ]);
  });

  it('is what the cost scenarios declare', () => {
    for (const f of ['scenarios/catalogue/cost-12tib-walk.ts', 'scenarios/catalogue/cost-12tib-head-tail.ts']) {
      expect(readFileSync(join(REPO, f), 'utf8')).toMatch(/bounds: \{[^}]*\bschedules: 1, fixed: true\b/);
    }
  });
});

describe('workers', () => {
  it('default to one per CPU but one, at least one', async () => {
    const help = await septcheck(['sweep', '--help']);
    expect(help.stdout).toContain(`(default: CPUs - 1, here ${Math.max(1, availableParallelism() - 1)})`);
  });
});
