import { describe, expect, it } from 'vitest';
import { explore, Exploration, strategyNames, type Finding, type Program } from '../../src/engine/index.ts';
import { counter, tornRead, abba } from '../fixtures/programs.ts';

/** Preemptions of a finding's schedule, counted by replaying it. */
async function preemptionsOf(p: Program, f: Finding): Promise<number> {
  const run = await new Exploration(p, { params: f.params }).replay(f.schedule, f.prelude);
  return run.preemptions;
}

const bugs = [
  { name: 'depth-2 lost update', program: counter(false), kind: 'invariant:lost-update', preemptions: 1 },
  { name: 'depth-3 torn read', program: tornRead(false), kind: 'invariant:torn', preemptions: 2 },
  { name: 'depth-2 AB-BA deadlock', program: abba(false), kind: 'deadlock', preemptions: 1 },
];

// `replay` only follows a regression's pinned schedule; every other strategy explores.
const exploring = strategyNames.filter((s) => s !== 'replay');

describe('every strategy finds the small bugs', () => {
  it('registers portfolio, random, pct, pos, urw, guided, fastcheck, dpor, dfs and stress, and replay for regressions', () => {
    expect([...exploring].sort()).toEqual(['dfs', 'dpor', 'fastcheck', 'guided', 'pct', 'portfolio', 'pos', 'random', 'stress', 'urw']);
    expect(strategyNames).toContain('replay');
  });
  for (const strategy of exploring) {
    for (const bug of bugs) {
      it(`${strategy}: ${bug.name}, shrunk to ${bug.preemptions} preemption(s)`, async () => {
        const r = await explore(bug.program, { strategy, seed: 3, schedules: 5000 });
        expect(r.findings).toHaveLength(1);
        const f = r.findings[0]!;
        expect(f.kind).toBe(bug.kind);
        expect(await preemptionsOf(bug.program, f)).toBe(bug.preemptions);
        expect(f.minimalSteps).toBe(f.schedule.steps);
        expect(f.originalSteps).toBeGreaterThanOrEqual(f.minimalSteps!);
        expect(r.stats.firstFindingAt).toBeGreaterThan(0);
      });
    }
  }
});

describe('dpor proves the fixed programs clean', () => {
  for (const p of [counter(true), tornRead(true), abba(true)]) {
    it(p.name, async () => {
      const r = await explore(p, { strategy: 'dpor', schedules: 100_000 });
      expect(r.findings).toEqual([]);
      expect(r.stats.complete).toBe('yes');
      expect(r.stats.dpor).toBe(`explored ${r.stats.schedules} schedules (${r.stats.pruned} pruned), complete`);
      // The same verdict as plain exhaustive search, with no more schedules.
      const dfs = await explore(p, { strategy: 'dfs', schedules: 100_000 });
      expect(dfs.findings).toEqual([]);
      expect(r.stats.schedules).toBeLessThanOrEqual(dfs.stats.schedules);
      expect(r.stats.terminalStates).toBe(dfs.stats.terminalStates);
    });
  }
  it('says so under a preemption bound too', async () => {
    const r = await explore(tornRead(true), { strategy: 'dpor', preemptions: 1, schedules: 100_000 });
    expect(r.findings).toEqual([]);
    expect(r.stats.complete).toBe('within preemption bound 1');
    expect(r.stats.dpor).toMatch(/^explored \d+ schedules \(\d+ pruned\), complete within preemption bound 1$/);
  });
});

describe('coverage figures', () => {
  it('counts schedules, steps, preemptions and terminal states', async () => {
    const r = await explore(counter(true), { strategy: 'random', seed: 1, schedules: 50 });
    expect(r.stats.schedules).toBe(50);
    // Each of 2 threads: start, lock, read, write, unlock.
    expect(r.stats.steps).toBe(50 * 10);
    expect(r.stats.preemptions).toBeGreaterThan(0);
    expect(r.stats.terminalStates).toBe(1);
  });
  it('pct learns the schedule length and keeps its depth', async () => {
    const r = await explore(counter(true), { strategy: 'pct', seed: 1, schedules: 20, depth: 2 });
    expect(r.stats.pctDepth).toBe(2);
    expect(r.stats.pctSteps).toBe(10);
  });
});
