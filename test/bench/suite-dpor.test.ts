// dpor on the ported work-stealing queues. Their scenarios declare every shared
// access recorded (`tracked`: the queue's slot array and the items' fields are
// tracked state, the rest kernel primitives), so dpor reduces there instead of
// exploring every schedule as dfs. Without that (before this test), dpor ran as
// unbounded dfs and, backtracking from the deepest choice, did not reach the bug
// within the suite's 20,000 schedules. The reduction must hide nothing: at the
// bound where dfs finds each bug, dpor finds it too, and on the clean twins both
// finish clean.
import { describe, expect, it } from 'vitest';
import { explore, loadScenario } from '../../src/engine/index.ts';

const DIR = 'bench/suite';

describe('dpor on the work-stealing queues (tracked scenarios)', () => {
  for (const name of ['wsq', 'iwsq']) {
    it(`${name}: dpor finds the bug within 2 preemptions, as dfs does, in fewer schedules; unbounded and with deepening too`, async () => {
      const l = await loadScenario(`${DIR}/${name}.ts`);
      expect(l.scenario.tracked).toBe(true);
      const opts = { schedules: 20_000, shrink: false } as const;
      const dfs = await explore(l.scenario, { ...opts, strategy: 'dfs', preemptions: 2 });
      const dpor = await explore(l.scenario, { ...opts, strategy: 'dpor', preemptions: 2 });
      expect(dfs.findings[0]?.kind).toBe('warn-on');
      expect(dpor.findings[0]?.kind).toBe('warn-on');
      expect(String(dpor.stats.dpor)).not.toMatch(/no reduction/);
      expect(dpor.stats.schedules).toBeLessThan(dfs.stats.schedules);
      for (const more of [{}, { deepen: true }]) {
        const r = await explore(l.scenario, { ...opts, ...more, strategy: 'dpor' });
        expect(r.findings[0]?.kind, JSON.stringify(more)).toBe('warn-on');
      }
    }, 120_000);

    it(`${name}-fixed: dpor and dfs both finish clean within 2 preemptions`, async () => {
      const l = await loadScenario(`${DIR}/${name}-fixed.ts`);
      expect(l.scenario.tracked).toBe(true);
      for (const strategy of ['dfs', 'dpor'] as const) {
        const r = await explore(l.scenario, { strategy, preemptions: 2, schedules: 200_000, stopOnFirst: false, shrink: false });
        expect(r.findings, strategy).toEqual([]);
        expect(r.stats.complete, strategy).toBe('within preemption bound 2');
      }
    }, 120_000);
  }
});
