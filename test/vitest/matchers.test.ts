// septcheck/vitest, used as a project would use it: testScenario, and the matchers
// toBeClean, toFind and toMeetExpected, under each scenario's own bounds; a failure
// reads as the CLI's replay does and carries a token the CLI replays.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defineScenario, describeVerdict, explore, loadScenario } from 'septcheck';
import { testScenario } from 'septcheck/vitest';
import { envOverrides } from '../../scripts/vitest/explore.ts';
import { REPO, septcheck, write } from '../e2e/helpers.ts';

const BUG = 'scenarios/examples/stale-leaf-split.ts';
const FIXED = 'scenarios/examples/stale-leaf-split-fixed.ts';

// Scenario files the tests write go inside the project (a gitignored folder), where
// 'septcheck' resolves as it does for a project's own scenarios.
mkdirSync(join(REPO, 'test-results'), { recursive: true });
const scratch = mkdtempSync(join(REPO, 'test-results', 'vitest-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('testScenario', () => {
  testScenario(BUG);
  testScenario(FIXED);
  testScenario('scenarios/classic/abba-latent.ts', { name: 'abba-latent, under its own bounds' });
});

/** The message a matcher fails with. */
async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('the matcher passed');
}

describe('the matchers', () => {
  it('toFind and toBeClean pass where the scenarios say they should', async () => {
    await expect(BUG).toFind('invariant:zapped-stays-zapped');
    await expect(FIXED).toBeClean();
    await expect(FIXED).not.toFind('invariant:zapped-stays-zapped');
    await expect(BUG).toMeetExpected();
  });

  it("explore under the scenario's own bounds, and the overrides given", async () => {
    const { scenario } = await loadScenario(join(REPO, FIXED));
    const own = await explore(scenario, { strategy: scenario.bounds!.strategy as 'dpor', schedules: scenario.bounds!.schedules });
    expect(own.verdict.class).toBe('proved');
    expect(await failure(expect(FIXED).not.toBeClean())).toBe(`expected ${FIXED} to find something, but it is ${describeVerdict(own.verdict)}`);
    expect(await failure(expect(FIXED).not.toBeClean({ strategy: 'random', schedules: 7 }))).toBe(
      `expected ${FIXED} to find something, but it is clean, sampled 7 schedules (not exhaustive)`,
    );
  });

  it('fails with the kernel-style report, the interleaving and a token the CLI replays', async () => {
    const message = await failure(expect(BUG).toBeClean());
    const [head, report] = message.split('\n\n') as [string, string];
    expect(head).toMatch(new RegExp(`^expected ${BUG} to be clean, but it found invariant:zapped-stays-zapped in \\d+ schedules?:$`));
    expect(report).toMatch(/^invariant:zapped-stays-zapped: the leaf zapper removed is mapped again/);
    expect(message).toMatch(new RegExp(`\\nscenario ${BUG} \\(no variant\\), 7 steps, \\d+ switch(es)?\\n`));
    expect(message).toMatch(/\nstep +splitter \(cpu0\) +zapper \(cpu1\)\n/);
    const token = /\nseptcheck replay (sc2\.[A-Za-z0-9_-]+)$/.exec(message)?.[1];
    expect(token).toBeDefined();
    const replayed = await septcheck(['replay', token!]);
    expect(replayed.stderr).toBe('');
    expect(replayed.code).toBe(1);
    expect(replayed.stdout.split('\n')[0]).toBe(report.split('\n')[0]);
  });

  it('toFind names what was found instead', async () => {
    const message = await failure(expect(BUG).toFind('deadlock'));
    expect(message).toMatch(new RegExp(`^expected ${BUG} to find deadlock, but it found invariant:zapped-stays-zapped in \\d+ schedules?:\\n\\n`));
    expect(await failure(expect(FIXED).toFind('deadlock'))).toMatch(/^expected .* to find deadlock, but it is clean, proved for every schedule/);
  });

  it('with keepGoing, toFind finds a kind behind the first', async () => {
    // The invariant fails first; behind it, a lock is held at exit.
    const file = 'test/e2e/fixtures/keep-going/two-kinds.ts';
    await expect(file).toFind('invariant:odd');
    await expect(file).not.toFind('lock-held-at-exit');
    await expect(file).toFind('lock-held-at-exit', { keepGoing: true });
  });

  it('checks the scenario first: a typo is one line with a suggestion', async () => {
    const dir = scratch;
    const scenario = (name: string, fields: string) =>
      write(join(dir, `${name}.ts`), `import { defineScenario } from 'septcheck';\nexport default { ...defineScenario({ name: '${name}', expect: 'clean', setup(run) { run.spawn('a', async () => {}); } }), ${fields} };\n`);
    const kind = scenario('typo-kind', "expect: 'Clean'");
    const field = scenario('typo-field', 'bound: { schedules: 3 }');
    const line = async (f: string) => {
      const m = await failure(expect(f).toBeClean());
      expect(m).not.toContain('\n');
      return m;
    };
    // Named from the project root, as the CLI names them.
    const shown = (f: string) => relative(REPO, f);
    expect(await line(kind)).toMatch(new RegExp(`^${shown(kind)}: invalid scenario: field 'expect': unknown kind 'Clean': did you mean 'clean'\\? \\(expected clean, `));
    expect(await line(field)).toBe(`${shown(field)}: invalid scenario: unknown field 'bound' (did you mean 'bounds'?)`);
  });

  it('takes a scenario object too; its findings then have no token', async () => {
    const s = defineScenario({
      name: 'inline',
      expect: 'deadlock',
      bounds: { strategy: 'dfs', schedules: 10 },
      setup(run) {
        run.spawn('a', async () => {
          await run.point({ kind: 'wait', obj: 'x', waitsOn: () => ['a'] });
        });
      },
    });
    await expect(s).toMeetExpected();
    const message = await failure(expect(s).toBeClean());
    expect(message).toMatch(/^expected inline to be clean, but it found deadlock in 1 schedule:/);
    expect(message).toMatch(/\n\(no replay token: give the matcher the scenario file's path to get one\)$/);
  });
});

describe('SEPTCHECK_* in tests', () => {
  it('are read as the CLI reads them, and refused in one line when malformed', () => {
    expect(envOverrides({ SEPTCHECK_SCHEDULES: '12', SEPTCHECK_SEED: 'abc', SEPTCHECK_STRATEGY: 'dfs', SEPTCHECK_PREEMPTIONS: '0' })).toEqual({
      schedules: 12,
      seed: 'abc',
      strategy: 'dfs',
      preemptions: 0,
    });
    expect(envOverrides({ SEPTCHECK_SEED: '7' })).toEqual({ seed: 7 });
    expect(() => envOverrides({ SEPTCHECK_SCHEDULES: '-1' })).toThrow('SEPTCHECK_SCHEDULES=-1: expected an integer >= 1');
  });
});
