import type { ChoicePoint, Chooser } from './run.ts';
import type { Schedule } from './types.ts';

export class ScheduleDivergence extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleDivergence';
  }
}

/**
 * Follows a recorded schedule. Strict: any mismatch within its steps (a thread
 * missing, a different operation) throws ScheduleDivergence; past its end (code that
 * no longer stops there) it goes on leniently, and the caller compares lengths.
 * Lenient (for shrinking and fast-check): switches that cannot be taken are skipped,
 * and when the current thread cannot go on the lowest-numbered enabled thread runs.
 */
export function followSchedule(s: Schedule, strictly: boolean): Chooser {
  let k = 0;
  return (cp: ChoicePoint) => {
    const strict = strictly && cp.step < s.steps;
    const sw = s.switches;
    while (k < sw.length && sw[k]!.step < cp.step) k++;
    const next = sw[k];
    if (next !== undefined && next.step === cp.step) {
      k++;
      const i = cp.enabled.findIndex((t) => t.name === next.thread);
      if (i >= 0 && (!strict || cp.enabled[i]!.pending.kind === next.op)) return i;
      if (strict) {
        const what = i < 0 ? 'is not runnable' : `is at ${cp.enabled[i]!.pending.kind}`;
        throw new ScheduleDivergence(`step ${cp.step}: schedule switches to ${next.thread} for ${next.op}, but it ${what}`);
      }
    }
    const cur = cp.current === null ? -1 : cp.enabled.indexOf(cp.current);
    if (cur >= 0) return cur;
    if (strict) throw new ScheduleDivergence(`step ${cp.step}: schedule has no switch, but ${cp.current?.name ?? 'no thread'} cannot run`);
    return 0;
  };
}

/** True when two schedules make the same switches over the same length. */
export function sameSchedule(a: Schedule, b: Schedule): boolean {
  if (a.steps !== b.steps || a.switches.length !== b.switches.length) return false;
  return a.switches.every((x, i) => {
    const y = b.switches[i]!;
    return x.step === y.step && x.thread === y.thread && x.op === y.op;
  });
}

/** Runs of steps one thread takes without a switch: `[thread, steps]`. */
export function blocksOf(s: Schedule): Array<readonly [string, number]> {
  return s.switches.map((sw, i) => [sw.thread, (s.switches[i + 1]?.step ?? s.steps) - sw.step] as const);
}

/**
 * Follows a schedule block by block, for code that changed since it was recorded:
 * each block's thread runs as many of its own steps as the block had, or until it
 * cannot go on (it takes fewer steps now, or waits); a block whose thread cannot run
 * when its turn comes is skipped. Where the blocks run out, the current thread goes
 * on, else the lowest-numbered one runs. The interleaving is kept in the large even
 * where a fix removed or added steps, where `followSchedule` would switch at the old
 * step numbers.
 */
export function followBlocks(s: Schedule): Chooser {
  const blocks = blocksOf(s);
  let b = 0;
  let left = blocks[0]?.[1] ?? 0;
  let seen = 0;
  return (cp: ChoicePoint) => {
    // The steps since the last choice (forced ones included) count against the block.
    const run = cp.run;
    for (; seen < cp.step; seen++) {
      const block = blocks[b];
      if (block !== undefined && run.threads[run.choices[seen]!]!.name === block[0]) left--;
    }
    for (; b < blocks.length; b++, left = blocks[b]?.[1] ?? 0) {
      if (left <= 0) continue;
      const i = cp.enabled.findIndex((t) => t.name === blocks[b]![0]);
      if (i >= 0) return i;
    }
    const cur = cp.current === null ? -1 : cp.enabled.indexOf(cp.current);
    return cur >= 0 ? cur : 0;
  };
}

/** Where a run's schedule `got` first differs from the recorded `want` within the
 * steps `want` has, in words; null when `got` starts with `want` (it may go on). */
export function prefixDifference(got: Schedule, want: Schedule): string | null {
  if (got.steps < want.steps) return scheduleDifference(got, want);
  return scheduleDifference({ switches: got.switches.filter((s) => s.step < want.steps), steps: want.steps }, want);
}

/** Where a run's schedule `got` first differs from the recorded `want`, in words. */
export function scheduleDifference(got: Schedule, want: Schedule): string | null {
  const n = Math.min(got.switches.length, want.switches.length);
  for (let i = 0; i < n; i++) {
    const g = got.switches[i]!;
    const w = want.switches[i]!;
    if (g.step === w.step && g.thread === w.thread && g.op === w.op) continue;
    return `step ${Math.min(g.step, w.step)}: the schedule switches to ${w.thread} at step ${w.step} for ${w.op}, the code now to ${g.thread} at step ${g.step} for ${g.op}`;
  }
  if (want.switches.length > n) {
    const w = want.switches[n]!;
    return `step ${w.step}: the schedule switches to ${w.thread} for ${w.op}, but the run ended after ${got.steps} steps`;
  }
  if (got.switches.length > n) {
    const g = got.switches[n]!;
    return `step ${g.step}: the schedule has ended (${want.steps} steps), but the code now switches to ${g.thread} for ${g.op}`;
  }
  if (got.steps !== want.steps) return `step ${Math.min(got.steps, want.steps)}: the schedule has ${want.steps} steps, the code now ${got.steps}`;
  return null;
}
