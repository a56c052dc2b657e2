import { describe, expect, it } from 'vitest';
import { explore, type Program } from '../../src/engine/index.ts';
import { outcomes } from '../fixtures/outcomes.ts';
import { abba, counter, independent, oneConflict, ranges, tornRead } from '../fixtures/programs.ts';
import { randomProgram } from '../fixtures/random-programs.ts';

const fact = (n: number): number => (n <= 1 ? 1 : n * fact(n - 1));
/** Interleavings of threads with the given step counts. */
const multinomial = (steps: number[]) => steps.reduce((acc, k) => acc / fact(k), fact(steps.reduce((a, b) => a + b, 0)));

async function both(p: Program) {
  const dfs = await explore(p, { strategy: 'dfs', schedules: 1_000_000, stopOnFirst: false, shrink: false });
  const dpor = await explore(p, { strategy: 'dpor', schedules: 1_000_000, stopOnFirst: false, shrink: false });
  expect(dfs.stats.complete).toBe('yes');
  expect(dpor.stats.complete).toBe('yes');
  return { dfs: dfs.stats, dpor: dpor.stats };
}

describe('dpor explores one schedule per partial order where dfs explores them all', () => {
  it('fully independent threads: one Mazurkiewicz trace', async () => {
    const [threads, ops] = [3, 2];
    const { dfs, dpor } = await both(independent(threads, ops));
    // Each thread runs `start` and then its writes.
    expect(dfs.schedules).toBe(multinomial(new Array(threads).fill(ops + 1)));
    expect(dpor.schedules).toBe(1);
    expect(dpor.equivalenceClasses).toBe(1);
    expect(dpor.terminalStates).toBe(dfs.terminalStates);
  });

  it('one conflicting pair: two traces', async () => {
    const { dfs, dpor } = await both(oneConflict());
    expect(dfs.schedules).toBe(multinomial([4, 4]));
    // The traces are the orders of the single conflicting pair: 2!.
    expect(dpor.equivalenceClasses).toBe(fact(2));
    expect(dpor.schedules).toBe(dpor.equivalenceClasses);
    expect(dpor.schedules).toBeLessThan(dfs.schedules);
    expect(dpor.terminalStates).toBe(dfs.terminalStates);
  });

  it('GFN ranges: disjoint writers commute, the overlapping reader does not', async () => {
    const { dfs, dpor } = await both(ranges());
    expect(dfs.schedules).toBe(multinomial([3, 3, 2]));
    // The reader's place among each writer's two writes: 3 choices per writer.
    expect(dpor.equivalenceClasses).toBe(3 * 3);
    expect(dpor.schedules).toBeLessThan(dfs.schedules);
    expect(dpor.terminalStates).toBe(dfs.terminalStates);
  });
});

const same = (a: Set<string>, b: Set<string>) => expect([...a].sort()).toEqual([...b].sort());

describe('dpor reaches what dfs reaches', () => {
  const programs: Program[] = [
    counter(false),
    counter(true),
    tornRead(false),
    tornRead(true),
    abba(false),
    abba(true),
    ranges(),
    oneConflict(),
  ];
  for (const p of programs) {
    for (const bound of [0, 1, 2, undefined]) {
      it(`${p.name}, preemption bound ${bound ?? 'none'}: same findings and terminal states`, async () => {
        const dfs = await outcomes(p, { strategy: 'dfs', preemptions: bound });
        const dpor = await outcomes(p, { strategy: 'dpor', preemptions: bound });
        expect(dfs.stats.complete).toBeDefined();
        // Both complete; either may prove more than the bound asked (a bound that cut nothing).
        expect(dpor.stats.complete).toBeDefined();
        same(dpor.states, dfs.states);
        same(dpor.findings, dfs.findings);
        expect(dpor.stats.schedules).toBeLessThanOrEqual(dfs.stats.schedules);
      });
    }
  }
});

describe('dpor with blocking', () => {
  it('finds the AB-BA deadlock and proves the ordered locks deadlock-free', async () => {
    const bad = await explore(abba(false), { strategy: 'dpor', schedules: 10_000 });
    expect(bad.findings.map((f) => f.kind)).toEqual(['deadlock']);
    const good = await explore(abba(true), { strategy: 'dpor', schedules: 10_000 });
    expect(good.findings).toEqual([]);
    expect(good.stats.complete).toBe('yes');
  });
  it('stops at the budget without claiming completeness', async () => {
    const r = await explore(randomProgram(7), { strategy: 'dpor', schedules: 2, stopOnFirst: false });
    expect(r.stats.schedules).toBe(2);
    expect(r.stats.complete).toBeUndefined();
    expect(r.stats.dpor).toMatch(/^explored 2 schedules \(\d+ pruned\), stopped before completion$/);
  });
});
