// Invariants that cost what changed (issue 15): in a tracked program a check is
// skipped while nothing it read last changed. On every catalogue scenario, with
// `random` and with preemption-bounded `dfs` and `dpor`, the runs must be exactly
// those of checking every invariant after every step (exhaustiveChecks): the same
// choices, the same findings (kind, message, step) in every run, the same terminal
// states, the same statistics and verdict.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/engine/index.ts';
import { bothModes } from '../fixtures/check-modes.ts';

const DIR = 'scenarios/catalogue';
const files = readdirSync(DIR).filter((f) => f.endsWith('.ts') && !f.startsWith('_')).sort();
const SCHEDULES = 300;

const settings = [
  { strategy: 'random', seed: 3 },
  { strategy: 'dfs', preemptions: 2 },
  { strategy: 'dpor', preemptions: 2 },
] as const;

describe('skipping unchanged invariants changes nothing on the catalogue', () => {
  it.each(files)('%s', async (f) => {
    const { scenario } = await loadScenario(`${DIR}/${f}`);
    // A cost scenario is one long schedule by design.
    const schedules = scenario.bounds?.fixed === true ? scenario.bounds.schedules : SCHEDULES;
    let skipped = 0;
    let exhaustive = 0;
    for (const o of settings) {
      const r = await bothModes(scenario, { ...o, schedules, stopOnFirst: false, maxSteps: scenario.bounds?.maxSteps });
      const at = `${f}, ${o.strategy}`;
      expect(r.skipped.runs.length, at).toBeGreaterThan(0);
      expect(r.skipped.runs, at).toEqual(r.exhaustive.runs);
      expect(r.skipped.findings, at).toEqual(r.exhaustive.findings);
      expect(r.skipped.stats, at).toEqual(r.exhaustive.stats);
      expect(r.skipped.verdict, at).toEqual(r.exhaustive.verdict);
      skipped += r.skipped.checks;
      exhaustive += r.exhaustive.checks;
    }
    // Tracked scenarios really skip; the others check everything every step.
    if (scenario.tracked === true) expect(skipped).toBeLessThan(exhaustive);
    else expect(skipped).toBe(exhaustive);
  });
});
