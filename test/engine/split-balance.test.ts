// Balanced prefixes (split-balance.ts): cut at one depth, a bounded tree's items are
// far from equal; cutting the heaviest deeper must leave the exploration the same
// (split.test.ts checks the result byte for byte) and its largest item smaller.
import { describe, expect, it } from 'vitest';
import { explore, explorePart, planSplit, type ExploreOptions, type Program } from '../../src/engine/index.ts';

/** `threads` threads of `steps` unlocked steps each: a wide tree, all of it explored. */
function steps(threads: number, n: number): Program {
  return {
    name: `steps-${threads}x${n}`,
    tracked: true,
    setup(run) {
      for (let i = 0; i < threads; i++) run.spawn(`T${i}`, async () => {
        for (let s = 0; s < n; s++) await run.point({ kind: 'step', obj: `x${i}` });
      });
    },
  };
}

/** Each item's schedules, explored alone. */
async function itemSchedules(p: Program, o: ExploreOptions, balance: boolean): Promise<number[]> {
  const plan = await planSplit(p, o, 8, balance);
  const out: number[] = [];
  for (let k = 0; k < plan.items.length; k++) out.push((await explorePart(p, o, plan, k)).schedules);
  return out;
}

describe('balanced prefixes', () => {
  for (const [threads, n, bound] of [[3, 6, 2], [3, 8, 3], [2, 12, 3]] as const) {
    it(`${threads} threads x ${n} steps within ${bound} preemptions: the same schedules, the largest item smaller`, async () => {
      const p = steps(threads, n);
      const o: ExploreOptions = { strategy: 'dfs', preemptions: bound, schedules: 1e7 };
      const whole = (await explore(p, o)).stats.schedules;
      const flat = await itemSchedules(p, o, false);
      const balanced = await itemSchedules(p, o, true);
      const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      expect(sum(flat)).toBe(whole);
      expect(sum(balanced)).toBe(whole);
      expect(balanced.length).toBeGreaterThan(flat.length);
      expect(Math.max(...balanced)).toBeLessThan(Math.max(...flat));
      // No item holds more than a quarter of the tree (the target is 8 items).
      expect(Math.max(...balanced) * 4).toBeLessThanOrEqual(whole);
    });
  }
});
