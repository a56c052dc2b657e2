// dpor against dfs on random KVM-model programs (test/fixtures/kvm-programs.ts): with
// the model's accesses recorded, the reduction must never hide a finding kind or a
// terminal state. Each program is explored by both at preemption bounds 0, 1, 2 and
// none, collecting every finding kind (stopOnFirst: false), wherever dfs completes
// within its budget (a bound dfs cannot finish is not compared, nor any above it);
// and once more stopping at the first finding. KVM_DIFF_PROGRAMS=n runs more.
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/engine/index.ts';
import { randomKvmProgram } from '../fixtures/kvm-programs.ts';
import { outcomes } from '../fixtures/outcomes.ts';

const PROGRAMS = Number(process.env.KVM_DIFF_PROGRAMS ?? 16);
const CHUNK = 4;
const BUDGET = 1000;
const BOUNDS = [0, 1, 2, undefined] as const;

describe(`dpor reaches what dfs reaches on ${PROGRAMS} random KVM programs`, () => {
  // Totals over every chunk, checked at the end.
  let compared = 0;
  let withFindings = 0;
  let dfsSchedules = 0;
  let dporSchedules = 0;
  for (let chunk = 0; chunk < PROGRAMS; chunk += CHUNK) {
    it(`programs ${chunk + 1}..${chunk + CHUNK}: same finding kinds and terminal states at every bound dfs completes`, async () => {
      for (let seed = chunk + 1; seed <= Math.min(PROGRAMS, chunk + CHUNK); seed++) {
        const p = randomKvmProgram(seed);
        const claimsAll: Array<{ at: string; kinds: string[]; states: string[] }> = [];
        for (const bound of BOUNDS) {
          const at = `${p.name} ${JSON.stringify(p.plan)}, bound ${bound ?? 'none'}`;
          const dfs = await outcomes(p, { strategy: 'dfs', preemptions: bound, schedules: BUDGET, maxSteps: 3000 });
          if (dfs.stats.complete === undefined) break;
          const dpor = await outcomes(p, { strategy: 'dpor', preemptions: bound, schedules: 100 * BUDGET, maxSteps: 3000 });
          expect(dpor.stats.dpor, at).not.toMatch(/no reduction/);
          // Complete; a bound that cut no choice proves every schedule, which the
          // unbounded comparison below checks when dfs completes there too.
          expect(dpor.stats.complete, at).toBeDefined();
          if (dpor.stats.complete === 'yes' && bound !== undefined) claimsAll.push({ at, kinds: dpor.kinds, states: [...dpor.states].sort() });
          if (bound === undefined) {
            for (const c of claimsAll.splice(0)) {
              expect(c.kinds, `${c.at}: claims every schedule`).toEqual(dfs.kinds);
              expect(c.states, `${c.at}: claims every schedule`).toEqual([...dfs.states].sort());
            }
          }
          expect(dpor.kinds, at).toEqual(dfs.kinds);
          expect([...dpor.states].sort(), at).toEqual([...dfs.states].sort());
          compared++;
          if (dfs.findings.size > 0) withFindings++;
          dfsSchedules += dfs.stats.schedules;
          dporSchedules += dpor.stats.schedules;
        }
        // Stopping at the first finding: found by both or by neither.
        const bound = BOUNDS[seed % 3];
        const first = { schedules: BUDGET, shrink: false, preemptions: bound, maxSteps: 3000 } as const;
        const a = await explore(p, { ...first, strategy: 'dfs' });
        // dfs ran out of budget without a finding: nothing to compare.
        if (a.findings.length === 0 && a.verdict.class !== 'proved') continue;
        const b = await explore(p, { ...first, schedules: 100 * BUDGET, strategy: 'dpor' });
        expect(b.findings.length > 0, `${p.name}, first finding, bound ${bound ?? 'none'}`).toBe(a.findings.length > 0);
      }
    }, 300_000);
  }

  it('compared enough, with findings among them, and reduced', () => {
    // Bounds 0 and 1 complete for nearly every program; findings show up in some.
    expect(compared).toBeGreaterThanOrEqual(2 * PROGRAMS);
    expect(withFindings).toBeGreaterThan(0);
    expect(dporSchedules).toBeLessThan(dfsSchedules);
  });
});
