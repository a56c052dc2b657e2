// POS, URW, fastcheck's schedules over the whole run, the corpus of guided prefixes
// and the portfolio: what each finds, that it stops when told, and that a portfolio
// finding replays from its token.
import { describe, expect, it } from 'vitest';
import { explore, loadScenario, makeToken, renderTrace, replayToken, type Program, type Run, type Schedule, type Strategy } from '../../src/engine/index.ts';
import { Kernel, kernel_wait, kthread_run, cond_resched } from '../../src/kernel/index.ts';
import { guidance, WARM_UP } from '../../src/engine/strategies/corpus.ts';
import { Observations } from '../../src/engine/strategies/observe.ts';
import { pctStrategy } from '../../src/engine/strategies/pct.ts';
import { LATE_FROM, LATE_TO, portfolioMembers, portfolioStrategy, shareAt } from '../../src/engine/strategies/portfolio.ts';
import { urwStrategy } from '../../src/engine/strategies/urw.ts';
import { driverOver } from '../../src/engine/strategy.ts';
import { abba, counter, tornRead } from '../fixtures/programs.ts';
import { lockstep } from '../fixtures/lockstep.ts';
import { twostage } from '../fixtures/twostage.ts';

const TWOSTAGE = 'test/fixtures/scenarios/twostage.scenario.ts';
const LOCKSTEP = 'test/fixtures/scenarios/lockstep.scenario.ts';

/** `p`, recording the schedule each run took, in order. */
function recorded(p: Program): { program: Program; schedules: Schedule[] } {
  const schedules: Schedule[] = [];
  const runs: Run[] = [];
  const program: Program = {
    ...p,
    setup(run, params) {
      runs.push(run);
      run.onThreadExit(() => {
        if (run.threads.every((t) => t.state === 'done')) schedules[runs.indexOf(run)] = run.schedule();
      });
      p.setup(run, params);
    },
  };
  return { program, schedules };
}

/** Thread A makes `long` scheduling points, thread B one; `first` counts the runs in
 * which B's first step came before A's. */
function longShort(long: number): { program: Program; first: { b: number; runs: number } } {
  const first = { b: 0, runs: 0 };
  const program: Program = {
    name: `long-short-${long}`,
    setup(run) {
      run.spawn('A', async () => {
        for (let i = 0; i < long; i++) await run.point({ kind: 'a', footprint: [] });
      });
      run.spawn('B', async () => {
        await run.point({ kind: 'b', footprint: [] });
      });
      void run.done.then(() => {
        first.runs++;
        if (run.choices[0] === 1) first.b++;
      });
    },
  };
  return { program, first };
}

describe('URW', () => {
  it('samples interleavings uniformly: beside 4 steps of A, B (2 steps) goes first in 5 of 15 interleavings, not half the time', async () => {
    const urw = longShort(3);
    await explore(urw.program, { strategy: 'urw', seed: 1, schedules: 3000 });
    const random = longShort(3);
    await explore(random.program, { strategy: 'random', seed: 1, schedules: 3000 });
    expect(urw.first.runs).toBe(3000);
    expect(urw.first.b / urw.first.runs).toBeGreaterThan(0.29);
    expect(urw.first.b / urw.first.runs).toBeLessThan(0.38);
    expect(random.first.b / random.first.runs).toBeGreaterThan(0.46);
  });

  it("counts a thread's children in its events until it spawns them", async () => {
    const obs = new Observations();
    const program: Program = {
      name: 'spawner',
      setup(run) {
        const k = new Kernel(run);
        k.kthread('main', async () => {
          const a = await kthread_run(async () => cond_resched(), null, 'child0');
          const b = await kthread_run(async () => {
            await cond_resched();
            await cond_resched();
          }, null, 'child1');
          await kernel_wait(a);
          await kernel_wait(b);
        });
      },
    };
    let own = 0;
    const s: Strategy = {
      name: 'observe',
      async explore(d) {
        const run = await d.runSchedule(() => 0);
        obs.record(run);
        own = run.choices.filter((c) => run.threads[c]!.name === 'main').length;
      },
    };
    await explore(program, { strategy: s, schedules: 1 });
    expect(obs.eventsOf('child0')).toBeGreaterThan(0);
    expect(obs.eventsOf('child1')).toBeGreaterThan(obs.eventsOf('child0'));
    expect(obs.eventsOf('main')).toBe(own + obs.eventsOf('child0') + obs.eventsOf('child1'));
    expect(obs.steps).toBeGreaterThan(own);
  });
});

describe('pct', () => {
  it("plans its first schedule from the run length it is given (the portfolio's observations), not from a run without changes", async () => {
    const alone = await explore(tornRead(true), { strategy: pctStrategy({ seed: 2, depth: 3, maxSteps: 1000 }), schedules: 1 });
    expect(alone.stats.preemptions).toBe(0);
    const obs = new Observations();
    obs.steps = alone.stats.steps;
    const told = await explore(tornRead(true), { strategy: pctStrategy({ seed: 2, depth: 3, maxSteps: 1000 }, obs), schedules: 1 });
    expect(told.stats.preemptions).toBeGreaterThan(0);
  });
});

describe('the corpus of guided prefixes', () => {
  it('replays none for the first schedules, then a growing share up to 3/4', () => {
    expect(guidance(0)).toBe(0);
    expect(guidance(WARM_UP - 1)).toBe(0);
    expect(guidance(2 * WARM_UP)).toBeCloseTo(0.25);
    expect(guidance(4 * WARM_UP)).toBeCloseTo(0.5);
    expect(guidance(8 * WARM_UP)).toBeCloseTo(0.75);
    expect(guidance(1000 * WARM_UP)).toBeCloseTo(0.75);
  });

  it('lets guided and the portfolio find a lock-step bug stage by stage, which the plain samplers miss in the same budget', async () => {
    for (const strategy of ['guided', 'portfolio'] as const) {
      const r = await explore(lockstep(10), { strategy, seed: 1, schedules: 20_000, shrink: false });
      expect(r.findings[0]?.kind).toBe('lockstep');
      expect(Number(r.stats.corpus)).toBeGreaterThan(0);
    }
    for (const strategy of ['random', 'urw', 'pos'] as const) {
      const r = await explore(lockstep(10), { strategy, seed: 1, schedules: 20_000, shrink: false });
      expect(r.findings).toEqual([]);
    }
  });

  it("a portfolio finding made from a kept prefix names its member and replays exactly from its token", async () => {
    const l = await loadScenario(LOCKSTEP);
    const r = await explore(l.scenario, { seed: 2, schedules: 20_000 });
    const f = r.findings[0]!;
    expect(f.kind).toBe('lockstep');
    expect(Number(r.stats.firstFindingAt)).toBeGreaterThan(WARM_UP);
    expect(r.stats.foundFrom).toBe('prefix');
    expect(f.details?.portfolio).toBe(r.stats.foundBy);
    const back = await replayToken(makeToken(l, f));
    expect(back.finding?.kind).toBe('lockstep');
    expect(renderTrace(back.finding!.trace)).toBe(renderTrace(f.trace));
  });
});

describe('a 101-thread two-stage program (main, one writer, 99 readers)', () => {
  for (const strategy of ['fastcheck', 'portfolio'] as const) {
    it(`${strategy} finds the reader in the writer's gap, late in the run; the fixed twin stays clean`, async () => {
      const r = await explore(twostage(1, 99), { strategy, seed: 1, schedules: 2000, shrink: false });
      const f = r.findings[0]!;
      expect(f.kind).toBe('invariant:twostage');
      // The gap comes after main made all 100 threads: past step 100.
      expect(f.schedule.switches.some((s) => s.step > 100)).toBe(true);
      const clean = await explore(twostage(1, 99, true), { strategy, seed: 1, schedules: 100 });
      expect(clean.findings).toEqual([]);
      expect(clean.stats.schedules).toBe(100);
      expect(clean.stats.complete).toBeUndefined();
    });
  }
});

describe('fastcheck', () => {
  it('stops when stopWhen says so, having run a prefix of the same schedules', async () => {
    const all = recorded(counter(true));
    await explore(all.program, { strategy: 'fastcheck', seed: 5, schedules: 200 });
    let asked = 0;
    const some = recorded(counter(true));
    const r = await explore(some.program, { strategy: 'fastcheck', seed: 5, schedules: 200, stopWhen: () => ++asked > 25 });
    expect(r.stats.schedules).toBeGreaterThan(0);
    expect(r.stats.schedules).toBeLessThan(25);
    expect(some.schedules).toEqual(all.schedules.slice(0, some.schedules.length));
  });

  it('draws switches over the whole run: some land in its last tenth', async () => {
    const steps: number[] = [];
    const p = recorded(twostage(1, 99, true));
    const r = await explore(p.program, { strategy: 'fastcheck', seed: 2, schedules: 100 });
    for (const s of p.schedules) for (const sw of s.switches) steps.push(sw.step / s.steps);
    expect(r.stats.schedules).toBe(100);
    expect(steps.some((x) => x > 0.9)).toBe(true);
  });
});

describe('POS', () => {
  it('finds the depth-3 torn read, and its fixed twin is clean over the same budget', async () => {
    const r = await explore(tornRead(false), { strategy: 'pos', seed: 1, schedules: 2000 });
    expect(r.findings[0]?.kind).toBe('invariant:torn');
    const clean = await explore(tornRead(true), { strategy: 'pos', seed: 1, schedules: 2000 });
    expect(clean.findings).toEqual([]);
    expect(clean.stats.complete).toBeUndefined();
  });

  it('is a function of its seed', async () => {
    const a = await explore(abba(false), { strategy: 'pos', seed: 8, schedules: 500 });
    const b = await explore(abba(false), { strategy: 'pos', seed: 8, schedules: 500 });
    expect(renderTrace(a.findings[0]!.trace)).toBe(renderTrace(b.findings[0]!.trace));
    expect(a.stats.firstFindingAt).toBe(b.stats.firstFindingAt);
  });
});

/** `s`, pushing the choices of each run it makes onto `into`, in order. */
function tapped(s: Strategy, into: number[][]): Strategy {
  return {
    name: s.name,
    explore: (d) =>
      s.explore(
        driverOver(d, {
          async runSchedule(c, p, o) {
            const run = await d.runSchedule(c, p, o);
            into.push([...run.choices]);
            return run;
          },
        }),
      ),
  };
}

describe('portfolio', () => {
  it("runs as its URW member exactly the schedules URW alone runs at the same seed, in order", async () => {
    for (const [program, seed, budget] of [[counter(true), 4, 400], [twostage(1, 20, true), 7, 300]] as const) {
      const inPortfolio: number[][] = [];
      const opts = { seed, maxSteps: 10_000 };
      const portfolio = portfolioStrategy(opts, (obs) => portfolioMembers(opts, obs).map((m) => (m.name === 'urw' ? { ...m, strategy: tapped(m.strategy, inPortfolio) } : m)));
      await explore(program, { strategy: portfolio, seed, schedules: budget, shrink: false });
      expect(inPortfolio.length).toBeGreaterThan(budget / 2);
      const alone: number[][] = [];
      await explore(program, { strategy: tapped(urwStrategy(opts), alone), seed, schedules: inPortfolio.length, shrink: false });
      expect(alone.length).toBe(inPortfolio.length);
      expect(inPortfolio).toEqual(alone);
      // A sample that differs from the portfolio's other members'.
      expect(new Set(inPortfolio.map((c) => c.join())).size).toBeGreaterThan(1);
    }
  });

  it('is the default strategy, says which member found the bug, and its token replays exactly', async () => {
    const l = await loadScenario(TWOSTAGE);
    const r = await explore(l.scenario, { seed: 3, schedules: 2000 });
    const f = r.findings[0]!;
    expect(f.kind).toBe('invariant:twostage');
    expect(typeof r.stats.foundBy).toBe('string');
    expect(f.details?.portfolio).toBe(r.stats.foundBy);
    expect(r.stats.foundFrom).toBe('scratch');
    expect(String(r.stats.portfolio)).toMatch(/^urw \d+, urw-prefix \d+, pos \d+, pct3 \d+, pct2 \d+, pct1 \d+, random \d+, fastcheck \d+$/);
    const back = await replayToken(makeToken(l, f));
    expect(back.finding?.kind).toBe(f.kind);
    expect(renderTrace(back.finding!.trace)).toBe(renderTrace(f.trace));
  });

  it('shares one budget by weight, POS first, the same way for the same seed, and claims no completeness', async () => {
    const once = () => explore(counter(true), { strategy: 'portfolio', seed: 4, schedules: 145, depth: 2 });
    const [a, b] = [await once(), await once()];
    expect(a.findings).toEqual([]);
    expect(a.stats.schedules).toBe(145);
    expect(a.stats.complete).toBeUndefined();
    expect(b.stats).toEqual(a.stats);
    const members = portfolioMembers({ seed: 4, depth: 2, maxSteps: 10_000 });
    expect(members.map((m) => m.name)).toEqual(['urw', 'urw-prefix', 'pos', 'pct2', 'pct1', 'random', 'fastcheck']);
    const total = members.reduce((x, m) => x + shareAt(m, 0), 0);
    const got = new Map(String(a.stats.portfolio).split(', ').map((x) => x.split(' ') as [string, string]));
    // Each member within a schedule or two of its share (POS's head start is one);
    // none from kept prefixes this early.
    for (const m of members) expect(Math.abs(Number(got.get(m.name)) - (145 * shareAt(m, 0)) / total)).toBeLessThanOrEqual(2);
    expect(got.get('urw-prefix')).toBe('0');
    expect(members.find((m) => m.opens === true)?.name).toBe('pos');
  });

  it('gives URW most schedules early, then pct at depth 3 and POS more as schedules find nothing', async () => {
    const members = portfolioMembers({ seed: 4, maxSteps: 10_000 });
    expect(members.map((m) => m.name)).toEqual(['urw', 'urw-prefix', 'pos', 'pct3', 'pct2', 'pct1', 'random', 'fastcheck']);
    const share = (name: string, total: number) => {
      const sum = members.reduce((x, m) => x + shareAt(m, total), 0);
      // URW's slot: its two halves together.
      const of = (n: string) => shareAt(members.find((m) => m.name === n)!, total);
      return (name === 'urw' ? of('urw') + of('urw-prefix') : of(name)) / sum;
    };
    expect(share('urw', 0)).toBeGreaterThan(0.65);
    expect(share('urw', LATE_FROM)).toBe(share('urw', 0));
    expect(share('urw', LATE_TO)).toBeGreaterThanOrEqual(0.5);
    expect(share('pct3', LATE_TO)).toBeGreaterThan(2.5 * share('pct3', 0));
    expect(share('pos', LATE_TO)).toBeGreaterThan(share('pos', 0));
    expect(share('pct3', 10 * LATE_TO)).toBe(share('pct3', LATE_TO));
    const mid = (LATE_FROM + LATE_TO) / 2;
    expect(share('pct3', mid)).toBeGreaterThan(share('pct3', LATE_FROM));
    expect(share('pct3', mid)).toBeLessThan(share('pct3', LATE_TO));
    // URW's slot goes to its replica of urw alone but for the part `guidance` gives to
    // kept prefixes, which goes to the other half.
    const urwAt = (name: string, total: number) => shareAt(members.find((m) => m.name === name)!, total);
    expect(urwAt('urw-prefix', 0)).toBe(0);
    expect(urwAt('urw', 0)).toBe(10);
    expect(urwAt('urw-prefix', LATE_TO)).toBeCloseTo(urwAt('urw', LATE_TO) * 3);
    // Run: the schedules each member ran follow the shares, the same for the same seed.
    const n = 3 * LATE_TO;
    const once = () => explore(counter(true), { strategy: 'portfolio', seed: 4, schedules: n });
    const [a, b] = [await once(), await once()];
    expect(a.findings).toEqual([]);
    expect(b.stats).toEqual(a.stats);
    const got = new Map(String(a.stats.portfolio).split(', ').map((x) => x.split(' ') as [string, string]));
    let expected = 0;
    for (let t = 0; t < n; t++) expected += share('pct3', t);
    expect(Math.abs(Number(got.get('pct3')) - expected)).toBeLessThanOrEqual(3);
  });
});
