// POS, fastcheck's schedules over the whole run, and the portfolio: what each finds,
// that it stops when told, and that a portfolio finding replays from its token.
import { describe, expect, it } from 'vitest';
import { explore, loadScenario, makeToken, renderTrace, replayToken, type Program, type Run, type Schedule } from '../../src/engine/index.ts';
import { portfolioMembers } from '../../src/engine/strategies/portfolio.ts';
import { abba, counter, tornRead } from '../fixtures/programs.ts';
import { twostage } from '../fixtures/twostage.ts';

const TWOSTAGE = 'test/fixtures/scenarios/twostage.scenario.ts';

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

describe('portfolio', () => {
  it('is the default strategy, says which member found the bug, and its token replays exactly', async () => {
    const l = await loadScenario(TWOSTAGE);
    const r = await explore(l.scenario, { seed: 3, schedules: 2000 });
    const f = r.findings[0]!;
    expect(f.kind).toBe('invariant:twostage');
    expect(typeof r.stats.foundBy).toBe('string');
    expect(f.details?.portfolio).toBe(r.stats.foundBy);
    expect(String(r.stats.portfolio)).toMatch(/^pct1 \d+, pct2 \d+, pct3 \d+, random \d+, pos \d+, fastcheck \d+$/);
    const back = await replayToken(makeToken(l, f));
    expect(back.finding?.kind).toBe(f.kind);
    expect(renderTrace(back.finding!.trace)).toBe(renderTrace(f.trace));
  });

  it('runs its members in turns on one budget, the same way for the same seed, and claims no completeness', async () => {
    const once = () => explore(counter(true), { strategy: 'portfolio', seed: 4, schedules: 60, depth: 2 });
    const [a, b] = [await once(), await once()];
    expect(a.findings).toEqual([]);
    expect(a.stats.schedules).toBe(60);
    expect(a.stats.complete).toBeUndefined();
    // The rotation's share of 60 schedules: each member its turn's worth in order.
    const members = portfolioMembers({ seed: 4, depth: 2, maxSteps: 10_000 });
    const share = members.map(() => 0);
    for (let left = 60, i = 0; left > 0; i = (i + 1) % members.length) {
      const n = Math.min(members[i]!.turn, left);
      share[i]! += n;
      left -= n;
    }
    expect(a.stats.portfolio).toBe(members.map((m, i) => `${m.name} ${share[i]}`).join(', '));
    expect(members.map((m) => m.name)).toEqual(['pct1', 'pct2', 'random', 'pos', 'fastcheck']);
    expect(b.stats).toEqual(a.stats);
  });
});
