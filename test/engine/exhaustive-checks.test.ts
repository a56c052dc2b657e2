// Invariants that cost what changed (issue 15), on random programs: skipping a check
// while nothing it read last changed must give exactly the runs of checking every
// invariant after every step (ExploreOptions.exhaustiveChecks): the same choices,
// findings (kind, message, step) and terminal states, under dfs, dpor and random.
// The programs are those of the dpor differential tests: kernel primitives and
// tracked state (test/fixtures/random-programs.ts), and the KVM model
// (test/fixtures/kvm-programs.ts).
import { describe, expect, it } from 'vitest';
import { explore, type Program } from '../../src/engine/index.ts';
import { bothModes } from '../fixtures/check-modes.ts';
import { randomKvmProgram } from '../fixtures/kvm-programs.ts';
import { randomProgram } from '../fixtures/random-programs.ts';

async function same(p: Program, opts: Parameters<typeof bothModes>[1]): Promise<{ skipped: number; exhaustive: number }> {
  const r = await bothModes(p, { stopOnFirst: false, ...opts });
  const at = `${p.name}, ${String(opts.strategy)}`;
  expect(r.skipped.runs, at).toEqual(r.exhaustive.runs);
  expect(r.skipped.findings, at).toEqual(r.exhaustive.findings);
  expect(r.skipped.stats, at).toEqual(r.exhaustive.stats);
  return { skipped: r.skipped.checks, exhaustive: r.exhaustive.checks };
}

describe('skipping unchanged invariants changes nothing', () => {
  for (let chunk = 0; chunk < 200; chunk += 50) {
    it(`random programs ${chunk + 1}..${chunk + 50}: dfs, dpor (bound 1) and random`, async () => {
      let skipped = 0;
      let exhaustive = 0;
      for (let seed = chunk + 1; seed <= chunk + 50; seed++) {
        const p = randomProgram(seed);
        for (const o of [{ strategy: 'dfs' }, { strategy: 'dpor', preemptions: 1 }, { strategy: 'random', seed }] as const) {
          const n = await same(p, { ...o, schedules: 300 });
          skipped += n.skipped;
          exhaustive += n.exhaustive;
        }
      }
      expect(skipped).toBeLessThan(exhaustive);
    });
  }

  for (let chunk = 0; chunk < 40; chunk += 10) {
    it(`random KVM programs ${chunk + 1}..${chunk + 10}: dfs and dpor (bound 1), random`, async () => {
      let skipped = 0;
      let exhaustive = 0;
      for (let seed = chunk + 1; seed <= chunk + 10; seed++) {
        const p = randomKvmProgram(seed);
        for (const o of [{ strategy: 'dfs', preemptions: 1 }, { strategy: 'dpor', preemptions: 1 }, { strategy: 'random', seed }] as const) {
          const n = await same(p, { ...o, schedules: 100 });
          skipped += n.skipped;
          exhaustive += n.exhaustive;
        }
      }
      expect(skipped).toBeLessThan(exhaustive / 4);
    });
  }

  it('stopping at the first finding, shrunk: the same finding', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const p = randomKvmProgram(seed);
      const a = await explore(p, { strategy: 'random', seed, schedules: 200, exhaustiveChecks: false });
      const b = await explore(p, { strategy: 'random', seed, schedules: 200, exhaustiveChecks: true });
      const strip = (r: typeof a) => r.findings.map((f) => ({ kind: f.kind, message: f.message, step: f.step, schedule: f.schedule, trace: f.trace }));
      expect(strip(a), p.name).toEqual(strip(b));
    }
  });

  it('a program that does not declare itself tracked checks every invariant after every step', async () => {
    const p = randomProgram(7);
    const untracked: Program = { ...p, tracked: false };
    const r = await bothModes(untracked, { strategy: 'dfs', schedules: 50 });
    expect(r.skipped.runs).toEqual(r.exhaustive.runs);
    expect(r.skipped.checks).toBe(r.exhaustive.checks);
  });
});
