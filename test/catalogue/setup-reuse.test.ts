// Set-up artifacts shared across schedules (src/kernel/shared.ts: key footprints,
// names, the ids by which a Kernel counts the names it makes unique), checked against
// the plain method: every catalogue scenario, explored with the sharing on (and
// what is shared deep-frozen, so a schedule that writes it throws and ends in a
// finding) and with a fresh set-up every schedule, must give the same stats,
// verdicts, findings (whole, traces included) and terminal states in the same
// order, with random sampling and with dpor and dfs under a small bound.
import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { loadScenario, type ExploreOptions, type Scenario } from '../../src/engine/index.ts';
import { runRecords } from '../fixtures/outcomes.ts';
import { setup_sharing } from '../../src/kernel/shared.ts';

const dir = 'scenarios/catalogue';
// The cost scenarios are large layouts of the same families (and minutes each).
const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.startsWith('_') && !f.startsWith('cost-')).sort();

const RUNS: ReadonlyArray<Omit<ExploreOptions, 'maxSteps'>> = [
  { strategy: 'random', seed: 1, schedules: 300, shrink: false },
  { strategy: 'random', seed: 2, schedules: 300, shrink: false },
  { strategy: 'dpor', preemptions: 2, schedules: 200, shrink: false },
  { strategy: 'dfs', preemptions: 2, schedules: 200, shrink: false },
];

/** Everything the explorations of `s` report, and each schedule's terminal state. */
async function outcome(s: Scenario, fresh: boolean) {
  setup_sharing.fresh = fresh;
  setup_sharing.freeze = !fresh;
  return runRecords(s, RUNS);
}

afterEach(() => {
  setup_sharing.fresh = false;
  setup_sharing.freeze = false;
});

describe('set-up sharing against a fresh set-up every schedule', () => {
  it.each(files)('%s', async (f) => {
    const { scenario } = await loadScenario(`${dir}/${f}`);
    expect(scenario.stateHash).toBeDefined();
    const reused = await outcome(scenario, false);
    const fresh = await outcome(scenario, true);
    expect(reused).toEqual(fresh);
    // Something ran: the comparison is not between two empty results.
    expect(fresh.every((x) => x.stats.schedules > 0 && x.stats.steps > 0)).toBe(true);
  }, 120_000);
});
