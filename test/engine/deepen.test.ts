// Iterative deepening of the preemption bound (bounds.deepen): a budget-limited
// exhaustive search finds shallow bugs first, and what it completes it proves.
import { describe, expect, it } from 'vitest';
import { explore, type Program } from '../../src/engine/index.ts';
import { outcomes } from '../fixtures/outcomes.ts';
import { counter, tornRead } from '../fixtures/programs.ts';

/** T0 writes x then runs `tail` more steps; T1 reads x. T1 reading 0 is the bug: it
 * needs T1 to go first, which plain dfs, backtracking from the deepest choice,
 * tries last. `fixed`: T1 waits for the write. */
function earlyRead(tail: number, fixed = false): Program {
  return {
    name: `early-read-${tail}`,
    tracked: true,
    setup(run) {
      const x = run.cell('x', 0);
      const own = run.cell('own', 0);
      run.spawn('T0', async () => {
        await run.point({ kind: 'store', obj: 'x', footprint: [] });
        x.set(1);
        for (let i = 0; i < tail; i++) {
          await run.point({ kind: 'store', obj: 'own', footprint: [] });
          own.update((v) => v + 1);
        }
      });
      run.spawn('T1', async () => {
        await run.point({ kind: 'load', obj: 'x', footprint: [], ...(fixed ? { waitsOn: () => (x.peek() === 1 ? null : ['T0']) } : {}) });
        if (x.get() === 0) run.report({ kind: 'early-read', message: 'T1 read x before T0 wrote it' });
      });
    },
    stateHash: () => 'end',
  };
}

describe('iterative deepening of the preemption bound', () => {
  for (const strategy of ['dfs', 'dpor'] as const) {
    it(`${strategy}: within a small budget, deepening finds the shallow bug plain search misses`, async () => {
      const budget = { schedules: 8, preemptions: 2, shrink: false } as const;
      const plain = await explore(earlyRead(30), { ...budget, strategy: 'dfs' });
      expect(plain.findings).toEqual([]);
      expect(plain.verdict.class).toBe('sampled');
      const deep = await explore(earlyRead(30), { ...budget, strategy, deepen: true });
      expect(deep.findings.map((f) => f.kind)).toEqual(['early-read']);
      expect(deep.stats.firstFindingAt).toBeLessThanOrEqual(3);
    });

    it(`${strategy}: a completed deepening proves what the bounded search proves, and reaches the same states`, async () => {
      for (const p of [counter(true), tornRead(true), earlyRead(3, true)]) {
        for (const bound of [0, 1, 2]) {
          const a = await outcomes(p, { strategy: 'dfs', preemptions: bound });
          const b = await outcomes(p, { strategy, preemptions: bound, deepen: true });
          expect(b.stats.complete, `${p.name} ${bound}`).toBeDefined();
          if (b.stats.complete !== 'yes') expect(b.stats.complete).toBe(a.stats.complete);
          expect([...b.states].sort(), `${p.name} ${bound}`).toEqual([...a.states].sort());
        }
      }
    });
  }

  it('without a bound, deepening stops at the first level whose search no bound cut, and proves every schedule', async () => {
    const r = await explore(tornRead(true), { strategy: 'dfs', deepen: true, schedules: 10_000, shrink: false });
    expect(r.verdict).toMatchObject({ class: 'proved', bound: null });
    const full = await explore(tornRead(true), { strategy: 'dfs', schedules: 10_000, shrink: false });
    expect(r.stats.deepened).toBeGreaterThanOrEqual(full.stats.maxPreemptions);
  });

  it('a budget that runs out in level k leaves the levels below it proved', async () => {
    const p = earlyRead(6, true);
    const level0 = await explore(p, { strategy: 'dfs', preemptions: 0, schedules: 1e6, shrink: false });
    const level1 = await explore(p, { strategy: 'dfs', preemptions: 1, schedules: 1e6, shrink: false });
    // Room for level 0 and part of level 1.
    const r = await explore(p, { strategy: 'dfs', preemptions: 2, deepen: true, schedules: level0.stats.schedules + level1.stats.schedules - 1, shrink: false });
    expect(r.verdict).toMatchObject({ class: 'proved', bound: 0 });
  });
});
