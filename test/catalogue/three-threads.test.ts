// Issue 12's review bugs that need three threads interleaved: with its third thread
// left out (a parameter of its family), each bug scenario is clean in every
// interleaving within its own preemption bound, bug and all; with it, the bug is
// found (catalogue.test.ts).
import { describe, expect, it } from 'vitest';
import { explore, loadScenario, Run, type Scenario } from '../../src/engine/index.ts';

/** Each row: the bug scenario, and the parameters that leave out its third thread. */
const rows: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
  ['dpamt-v4-08', { convert_b: false }],
  ['invalidate-range-latest', { punch_hole: false }],
  ['invalidate-begin-reset', { punch_hole: false }],
];

/** The threads the scenario's set-up spawns with `params` (fault injectors aside). */
function threads(s: Scenario, params: unknown): number {
  const run = new Run(() => 0, { maxSteps: s.bounds?.maxSteps ?? 10_000, shared: new Map() });
  s.setup(run, params);
  return run.threads.filter((t) => !t.free).length;
}

describe('review bugs that need three threads', () => {
  for (const [file, two] of rows) {
    it(`${file}: with two threads (${JSON.stringify(two)}) the bug variant is proved clean`, async () => {
      const { scenario } = await loadScenario(`scenarios/catalogue/${file}.ts`);
      expect(threads(scenario, scenario.params)).toBe(3);
      const params = { ...(scenario.params as Record<string, unknown>), ...two };
      expect(threads(scenario, params)).toBe(2);
      const b = scenario.bounds!;
      const r = await explore({ ...scenario, params }, { strategy: 'dpor', schedules: b.schedules, seed: b.seed, maxSteps: b.maxSteps, preemptions: b.preemptions });
      expect(r.findings.map((f) => `${f.kind}: ${f.message}`)).toEqual([]);
      expect(r.verdict.class).toBe('proved');
      expect([b.preemptions, null]).toContain(r.verdict.bound);
    }, 600_000);
  }
});
