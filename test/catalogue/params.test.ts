// The fixed twins are proved over their families' parameter spaces, not only at
// their defaults: fast-check draws parameters from the family's own arbitrary (those
// `validate()` accepts), and each draw is explored exhaustively within the twin's
// preemption bound.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { explore, loadScenario } from '../../src/engine/index.ts';

const TWINS = [
  'concurrent-splitters-fixed',
  'mismatched-accept-mirror-root',
  'no-flush-after-zap-fixed',
  'punch-hole-unaligned-fixed',
  'topup-short-fixed',
  'topup-under-mmu-lock-fixed',
  'topup-under-split-cache-lock-fixed',
  'v5-44-fixed',
  'zap-without-split-fixed',
];
/** Draws per family: what fits in CI, each one a proof within the bound. */
const DRAWS = 4;

describe('fixed twins are proved across their parameter space', () => {
  for (const name of TWINS) {
    it(`${name}: ${DRAWS} drawn parameter sets, each proved within the bound`, async () => {
      const s = (await loadScenario(`scenarios/catalogue/${name}.ts`)).scenario;
      if (s.paramsArbitrary === undefined) return expect(s.params, `${name} has no parameters to draw`).toBeUndefined();
      const valid = s.paramsArbitrary.filter((p) => (s.validate?.(p) ?? null) === null);
      const draws = fc.sample(valid, { seed: 42, numRuns: DRAWS });
      for (const params of draws) {
        const b = s.bounds ?? {};
        const r = await explore(s, { strategy: 'dpor', preemptions: b.preemptions ?? 2, maxSteps: b.maxSteps, schedules: 1_000_000, params, shrink: false });
        const at = `${name} ${JSON.stringify(params)}`;
        expect(r.findings.map((f) => `${f.kind}: ${f.message}`), at).toEqual([]);
        expect(r.verdict.class, at).toBe('proved');
        // Within the bound, or for every schedule when the bound cut no choice.
        expect([b.preemptions ?? 2, null], at).toContain(r.verdict.bound);
      }
    }, 180_000);
  }
});
