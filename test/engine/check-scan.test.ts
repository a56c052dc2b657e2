// checkInvariants() of a tracked program visits only the invariants due (the bits of
// `always | dirty`, lowest first, re-read after each check); EAGER_CHECK_SCAN visits
// every invariant in turn and skips those not due. Both must make the same checks in
// the same order: the same runs, findings and number of checks, on random programs
// and on the same programs with each invariant registered several times over (more
// than the 31 that get a bit, so that some are checked after every step).
import { afterEach, describe, expect, it } from 'vitest';
import type { Program } from '../../src/engine/index.ts';
import { EAGER_CHECK_SCAN } from '../../src/engine/run.ts';
import { runsOf } from '../fixtures/check-modes.ts';
import { randomKvmProgram } from '../fixtures/kvm-programs.ts';
import { randomProgram } from '../fixtures/random-programs.ts';

afterEach(() => {
  EAGER_CHECK_SCAN.on = false;
});

/** `p` with each invariant registered `times` times, under names of their own,
 * between a first check that writes a cell (the step it checked after) and a last
 * one that reads it: a check's write makes a later check due in the same pass. */
function fanned(p: Program, times: number): Program {
  return {
    ...p,
    name: `${p.name} x${times}`,
    setup(run, params) {
      const register = run.invariant.bind(run);
      const tick = run.cell('tick', -1);
      register('tick', () => {
        tick.set(run.step);
        return null;
      });
      run.invariant = (name, check) => {
        for (let k = 0; k < times; k++) register(k === 0 ? name : `${name}#${k}`, check);
      };
      p.setup(run, params);
      register('tock', () => (tick.get() === 5 ? 'checked after step 5' : null));
    },
  };
}

async function same(p: Program, opts: Parameters<typeof runsOf>[1]): Promise<void> {
  EAGER_CHECK_SCAN.on = true;
  const eager = await runsOf(p, { ...opts, exhaustiveChecks: false, stopOnFirst: false });
  EAGER_CHECK_SCAN.on = false;
  const walked = await runsOf(p, { ...opts, exhaustiveChecks: false, stopOnFirst: false });
  const at = `${p.name}, ${String(opts.strategy)}`;
  expect(walked.runs, at).toEqual(eager.runs);
  expect(walked.findings, at).toEqual(eager.findings);
  expect(walked.checks, at).toBe(eager.checks);
}

describe('visiting only the invariants due is visiting each in turn', () => {
  it('random programs, alone and fanned out past 31 invariants', async () => {
    for (let seed = 1; seed <= 30; seed++) {
      const p = randomProgram(seed);
      for (const q of [p, fanned(p, 5), fanned(p, 40)]) {
        await same(q, { strategy: 'random', seed, schedules: 100 });
        await same(q, { strategy: 'dpor', preemptions: 1, schedules: 100 });
      }
    }
  });

  it('random KVM programs, alone and fanned out past 31 invariants', async () => {
    for (let seed = 1; seed <= 8; seed++) {
      const p = randomKvmProgram(seed);
      for (const q of [p, fanned(p, 8)]) await same(q, { strategy: 'random', seed, schedules: 60 });
    }
  });
});
