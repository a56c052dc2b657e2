// A lock's points (and their waitsOn closures) made at its first point, against the
// plain method (lock_points.eager: made with the lock): catalogue scenarios that take
// many locks, some with findings, explored both ways with random sampling and dpor,
// must give the same stats, verdicts, findings (traces included) and terminal
// states in the same order.
import { afterEach, describe, expect, it } from 'vitest';
import { loadScenario, type ExploreOptions, type Scenario } from '../../src/engine/index.ts';
import { runRecords } from '../fixtures/outcomes.ts';
import { lock_points } from '../../src/kernel/lock.ts';

const dir = 'scenarios/catalogue';
const files = ['v5-44-fixed.ts', 'concurrent-splitters-fixed.ts', 'dpamt-put-outside-lock.ts', 'topup-under-mmu-lock.ts', 'v5-08-stats-first.ts'];

const RUNS: ReadonlyArray<Omit<ExploreOptions, 'maxSteps'>> = [
  { strategy: 'random', seed: 3, schedules: 200, shrink: false },
  { strategy: 'dpor', preemptions: 2, schedules: 150, shrink: false },
];

async function outcome(s: Scenario, eager: boolean) {
  lock_points.eager = eager;
  return runRecords(s, RUNS);
}

afterEach(() => {
  lock_points.eager = false;
});

describe('lock points made at first use against made with the lock', () => {
  it.each(files)('%s', async (f) => {
    const { scenario } = await loadScenario(`${dir}/${f}`);
    const lazy = await outcome(scenario, false);
    const eager = await outcome(scenario, true);
    expect(lazy).toEqual(eager);
    expect(eager.every((x) => x.stats.schedules > 0 && x.stats.steps > 0)).toBe(true);
  }, 120_000);
  it('finds something in a scenario with a bug, so findings are compared', async () => {
    const { scenario } = await loadScenario(`${dir}/dpamt-put-outside-lock.ts`);
    const r = await outcome(scenario, false);
    expect(r.some((x) => x.findings !== null && (x.findings as unknown[]).length > 0)).toBe(true);
  }, 120_000);
});
