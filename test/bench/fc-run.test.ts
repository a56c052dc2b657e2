// Baseline (a) of the benchmark: fc.scheduler() driving the scenario's own thread
// code, one scheduling point per `await s.schedule(...)`.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadScenario, type Program } from '../../src/engine/index.ts';
import { runOnScheduler, type FcRun } from '../../scripts/bench/fc-run.ts';
import { abba, rcu_free } from '../stress/programs.ts';

/** Runs `p` under fc.assert with fc.scheduler() for `numRuns` runs; every run. */
async function under_fc(p: Program, seed: number, numRuns: number, maxSteps = 5_000): Promise<FcRun[]> {
  const runs: FcRun[] = [];
  const shared = new Map<string, unknown>();
  await fc
    .assert(
      fc.asyncProperty(fc.scheduler(), async (s) => {
        const run = await runOnScheduler(s, p, p.params, { maxSteps, shared });
        runs.push(run);
        return run.finding === null;
      }),
      { seed, numRuns },
    )
    .catch(() => {});
  return runs;
}

describe('the fc.scheduler baseline', () => {
  it("runs a catalogue bug's thread code to completion and finds the bug for some seed", async () => {
    const s = (await loadScenario('scenarios/catalogue/concurrent-splitters.ts')).scenario;
    const found: number[] = [];
    for (let seed = 1; seed <= 5; seed++) {
      const runs = await under_fc(s, seed, 200);
      const last = runs[runs.length - 1]!;
      // Clean runs end with every thread done, after real steps of the model.
      for (const run of runs.slice(0, -1)) {
        expect(run.finding).toBeNull();
        expect(run.threads.every((t) => t.state === 'done')).toBe(true);
        expect(run.step).toBeGreaterThan(20);
      }
      if (last.finding !== null) {
        expect(last.finding.kind).toBe(s.expect);
        found.push(runs.length);
      }
    }
    expect(found.length).toBeGreaterThan(0);
  });

  it('keeps the fixed twin clean', async () => {
    const s = (await loadScenario('scenarios/catalogue/concurrent-splitters-fixed.ts')).scenario;
    const runs = await under_fc(s, 1, 100);
    expect(runs).toHaveLength(100);
    expect(runs.filter((r) => r.finding !== null)).toEqual([]);
  });

  it('runs threads spawned mid-run (call_rcu callbacks) too', async () => {
    const runs = await under_fc(rcu_free(), 1, 50);
    expect(runs).toHaveLength(50);
    expect(runs.map((r) => r.finding?.message ?? null).filter((m) => m !== null)).toEqual([]);
  });

  it('ends a deadlock (fc.scheduler alone would pick the blocked threads forever)', async () => {
    const runs = await under_fc(abba('mutex', false), 1, 100);
    expect(runs[runs.length - 1]!.finding?.kind).toBe('deadlock');
  });
});
