// dpor against dfs on random programs: the reduction must never hide a finding or
// a terminal state. Each program is explored exhaustively by both, at preemption
// bounds 0, 1, 2 and none, collecting every finding kind (stopOnFirst: false), and
// once more stopping at the first finding.
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/engine/index.ts';
import { outcomes } from '../fixtures/outcomes.ts';
import { randomProgram } from '../fixtures/random-programs.ts';

const PROGRAMS = 500;
const BOUNDS = [0, 1, 2, undefined] as const;

describe(`dpor reaches what dfs reaches on ${PROGRAMS} random programs`, () => {
  for (let chunk = 0; chunk < PROGRAMS; chunk += 50) {
    it(`programs ${chunk + 1}..${chunk + 50}: same finding kinds and terminal states at every bound`, async () => {
      let dfsSchedules = 0;
      let dporSchedules = 0;
      for (let seed = chunk + 1; seed <= chunk + 50; seed++) {
        const p = randomProgram(seed);
        const unbounded = await outcomes(p, { strategy: 'dfs' });
        for (const bound of BOUNDS) {
          const dfs = bound === undefined ? unbounded : await outcomes(p, { strategy: 'dfs', preemptions: bound });
          const dpor = await outcomes(p, { strategy: 'dpor', preemptions: bound });
          const at = `${p.name}, bound ${bound ?? 'none'}`;
          expect(dfs.stats.complete, at).toBeDefined();
          expect(dpor.stats.complete, at).toBeDefined();
          expect(dpor.kinds, at).toEqual(dfs.kinds);
          expect([...dpor.states].sort(), at).toEqual([...dfs.states].sort());
          // A bounded search that claims every schedule must reach what unbounded dfs does.
          for (const r of [dfs, dpor]) {
            if (r.stats.complete !== 'yes') continue;
            expect(r.kinds, `${at}: claims every schedule`).toEqual(unbounded.kinds);
            expect([...r.states].sort(), `${at}: claims every schedule`).toEqual([...unbounded.states].sort());
          }
          dfsSchedules += dfs.stats.schedules;
          dporSchedules += dpor.stats.schedules;
        }
        // Stopping at the first finding: found by both or by neither.
        const bound = BOUNDS[seed % BOUNDS.length];
        const first = { schedules: 1e6, shrink: false, preemptions: bound } as const;
        const a = await explore(p, { ...first, strategy: 'dfs' });
        const b = await explore(p, { ...first, strategy: 'dpor' });
        expect(b.findings.length > 0, `${p.name}, first finding, bound ${bound ?? 'none'}`).toBe(a.findings.length > 0);
        if (b.findings.length === 0) expect(b.verdict.class).toBe('proved');
      }
      // The reduction is real: far fewer schedules over the chunk.
      expect(dporSchedules).toBeLessThan(dfsSchedules);
    }, 120_000);
  }
});
