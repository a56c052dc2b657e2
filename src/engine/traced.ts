// Runs whose trace someone reads: a token's replay, a shrunk finding. They are
// traced (the model's events, each step's stack, what a failed check read) and
// detailed (RunOptions.detailed: KASAN's stacks, see detail.ts), and a
// finding whose check read recorded state gets that state as it was before the step
// that broke it, from a second run of the same schedule stopped there.
import { Exploration } from './explore.ts';
import type { Program } from './program.ts';
import type { Chooser, Run } from './run.ts';
import { followBlocks, followSchedule, prefixDifference, sameSchedule, scheduleDifference, ScheduleDivergence } from './schedule.ts';
import type { Schedule } from './types.ts';

export interface TracedOptions {
  readonly maxSteps?: number;
  readonly params: unknown;
  /** Go past findings of other kinds and stop at this one (a --keep-going token). */
  readonly stopAt?: string;
}

/** A traced run of a recorded schedule, and where the recorded schedule no longer
 * fits the code (null: it was followed exactly). */
export interface Followed {
  readonly run: Run;
  readonly diverged: string | null;
}

/**
 * Runs `schedule` after `prelude` in a fresh exploration of `program`, traced. With
 * `strict`, a schedule that no longer fits throws ScheduleDivergence; without, it is
 * run again block by block (followBlocks), for code that changed since, and the
 * result says where the strict run diverged.
 */
export async function followTraced(program: Program, opts: TracedOptions, schedule: Schedule, prelude: readonly Schedule[], strict: boolean): Promise<Followed> {
  try {
    return { run: await exactly(program, opts, schedule, prelude), diverged: null };
  } catch (e) {
    if (strict || !(e instanceof ScheduleDivergence)) throw e;
    const run = await traced(program, opts, prelude, false, () => followBlocks(schedule));
    return { run, diverged: e.message };
  }
}

/** Runs a shrunk finding's schedule again traced (leniently, as the shrinker ran it),
 * for the finding to carry its events, stacks and state. */
export function retrace(program: Program, opts: TracedOptions, schedule: Schedule, prelude: readonly Schedule[]): Promise<Run> {
  return traced(program, opts, prelude, false, () => followSchedule(schedule, false));
}

/** The schedule followed exactly within its steps. A run that goes on past them
 * (changed code that no longer stops where the finding stopped it) still followed
 * it: what it does then is the news, not a divergence. */
async function exactly(program: Program, opts: TracedOptions, schedule: Schedule, prelude: readonly Schedule[]): Promise<Run> {
  const run = await traced(program, opts, prelude, true, () => followSchedule(schedule, true));
  const diff = prefixDifference(run.schedule(), schedule);
  if (diff !== null) throw new ScheduleDivergence(diff);
  return run;
}

/** One traced run (after the prelude, untraced), and, when its finding read recorded
 * state, a second one that describes that state before the finding's step. */
async function traced(program: Program, opts: TracedOptions, prelude: readonly Schedule[], strict: boolean, chooser: () => Chooser): Promise<Run> {
  const once = async (before?: { step: number; fn: (r: Run) => void }) => {
    const x = new Exploration(program, { maxSteps: opts.maxSteps, params: opts.params, stopAt: opts.stopAt, detail: 'always' });
    for (const p of prelude) {
      const r = await x.runSchedule(followSchedule(p, strict), opts.params, { record: false });
      if (strict && !sameSchedule(r.schedule(), p)) throw new ScheduleDivergence(`prelude: ${scheduleDifference(r.schedule(), p) ?? 'differs'}`);
    }
    return x.runSchedule(chooser(), opts.params, { trace: true, before });
  };
  const run = await once();
  // With stopAt, the finding the run was followed for, past findings of other kinds.
  const f = (opts.stopAt === undefined ? undefined : run.findings.find((x) => x.kind === opts.stopAt)) ?? run.finding;
  const state = f?.state;
  if (f !== null && state !== undefined && state.reads.length > 0) {
    await once({ step: f.step, fn: (r) => (state.before = r.describe(state.reads)) });
  }
  return run;
}
