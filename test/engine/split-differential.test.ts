// A split exploration (split.ts) against the whole one, on the random programs of
// dpor-differential.test.ts: cut into n = 1..4 parts (prefixes of the schedule
// tree), dfs and dpor (dpor below each fixed prefix) reach the same finding kinds,
// the same terminal states, the same verdict and the same proof. The one difference
// allowed is documented in split.ts: where dpor alone proves every schedule (its
// reduction never needed a choice the bound forbids), the split's plain enumeration
// of the prefixes may meet such a choice and prove "within the bound" only (or the
// reverse); any claim of every schedule is checked against unbounded dfs.
import { describe, expect, it } from 'vitest';
import { explore, exploreSplit, type ExploreOptions, type Program, type Verdict } from '../../src/engine/index.ts';
import { outcomes, outcomesOf, type Outcomes } from '../fixtures/outcomes.ts';
import { randomProgram } from '../fixtures/random-programs.ts';

const PROGRAMS = 120;
const CHUNK = 30;
const BOUNDS = [0, 1, 2, undefined] as const;
const PARTS = [1, 2, 3, 4] as const;

/** outcomes() of a split exploration into about `parts` parts. */
async function splitOutcomes(p: Program, opts: ExploreOptions, parts: number): Promise<Outcomes & { verdict: Verdict; items: number }> {
  const { outcomes: o, result: r } = await outcomesOf(p, opts, (w, wo) => exploreSplit(w, wo, { target: parts }));
  return { ...o, verdict: r.verdict, items: r.plan.items.length };
}

/** The verdict of a collecting exploration, from its stats. */
const claimOf = (o: Outcomes): string | null => (typeof o.stats.complete === 'string' ? o.stats.complete : null);

describe(`split explorations reach what whole ones reach on ${PROGRAMS} random programs`, () => {
  for (let chunk = 0; chunk < PROGRAMS; chunk += CHUNK) {
    it(`programs ${chunk + 1}..${chunk + CHUNK}: n = 1..4 parts, dfs and dpor, bounds 0, 1, 2 and none`, async () => {
      let splits = 0;
      for (let seed = chunk + 1; seed <= chunk + CHUNK; seed++) {
        const p = randomProgram(seed);
        const unbounded = await outcomes(p, { strategy: 'dfs' });
        for (const strategy of ['dfs', 'dpor'] as const) {
          for (const bound of BOUNDS) {
            // dfs at one bound per program (its split is the whole dfs by construction,
            // split.test.ts checks that byte for byte); dpor at every bound.
            if (strategy === 'dfs' && bound !== BOUNDS[seed % BOUNDS.length]) continue;
            const whole = await outcomes(p, { strategy, preemptions: bound });
            for (const n of PARTS) {
              const split = await splitOutcomes(p, { strategy, preemptions: bound }, n);
              if (split.items > 1) splits++;
              const at = `${p.name}, ${strategy}, bound ${bound ?? 'none'}, ${n} parts (${split.items} items)`;
              expect(split.kinds, at).toEqual(whole.kinds);
              expect([...split.states].sort(), at).toEqual([...whole.states].sort());
              expect(split.verdict.class, at).toBe(whole.stats.complete === undefined ? 'sampled' : split.kinds.length > 0 ? 'found' : 'proved');
              const a = claimOf(whole);
              const b = claimOf(split);
              expect(b === null, `${at}: complete both or neither`).toBe(a === null);
              if (strategy === 'dfs' || bound === undefined) expect(b, at).toBe(a);
              else if (b !== a) expect([a, b].sort(), at).toEqual([`within preemption bound ${bound}`, 'yes']);
              // A claim of every schedule reaches what unbounded dfs reaches.
              if (b === 'yes') {
                expect(split.kinds, `${at}: claims every schedule`).toEqual(unbounded.kinds);
                expect([...split.states].sort(), `${at}: claims every schedule`).toEqual([...unbounded.states].sort());
              }
            }
          }
        }
        // Stopping at the first finding: found by both or by neither, and a clean
        // split proves what the whole proves.
        const bound = BOUNDS[seed % BOUNDS.length];
        const first = { schedules: 1e6, shrink: false, preemptions: bound, strategy: 'dpor' } as const;
        const a = await explore(p, first);
        for (const n of [2, 4]) {
          const b = await exploreSplit(p, first, { target: n });
          expect(b.findings.length > 0, `${p.name}, first finding, bound ${bound ?? 'none'}, ${n} parts`).toBe(a.findings.length > 0);
          expect(b.verdict.class).toBe(a.verdict.class);
        }
      }
      expect(splits).toBeGreaterThan(CHUNK);
    }, 300_000);
  }
});
