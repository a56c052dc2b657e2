// dpor against dfs on random programs with fault sites and injectors (faults.ts):
// the injector steps are free (no preemption) and race with the sites through the
// fault:<class> key; the reduction must hide no finding and no terminal state at
// preemption bounds 0, 1, 2 and none.
import { describe, expect, it } from 'vitest';
import { outcomes } from '../fixtures/outcomes.ts';
import { faultProgram } from '../fixtures/fault-programs.ts';

const PROGRAMS = 40;
const BOUNDS = [0, 1, 2, undefined] as const;

describe(`dpor reaches what dfs reaches on ${PROGRAMS} random programs with injected faults`, () => {
  for (let chunk = 0; chunk < PROGRAMS; chunk += 20) {
    it(`programs ${chunk + 1}..${chunk + 20}: same finding kinds and terminal states at every bound`, async () => {
      let found = 0;
      for (let seed = chunk + 1; seed <= chunk + 20; seed++) {
        const p = faultProgram(seed);
        const unbounded = await outcomes(p, { strategy: 'dfs' });
        for (const bound of BOUNDS) {
          const dfs = bound === undefined ? unbounded : await outcomes(p, { strategy: 'dfs', preemptions: bound });
          const dpor = await outcomes(p, { strategy: 'dpor', preemptions: bound });
          const at = `${p.name}, bound ${bound ?? 'none'}`;
          expect(dpor.stats.complete, at).toBeDefined();
          expect(dpor.kinds, at).toEqual(dfs.kinds);
          expect([...dpor.states].sort(), at).toEqual([...dfs.states].sort());
          if (dpor.stats.dpor !== undefined) expect(String(dpor.stats.dpor), at).not.toContain('no reduction');
        }
        if (unbounded.findings.size > 0) found++;
      }
      // The programs exercise the error paths: some have findings, some none.
      expect(found).toBeGreaterThan(0);
      expect(found).toBeLessThan(20);
    }, 300_000);
  }
});
