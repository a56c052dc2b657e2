import type { ChoicePoint, Chooser } from './run.ts';
import type { Schedule } from './types.ts';

export class ScheduleDivergence extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleDivergence';
  }
}

/**
 * Follows a recorded schedule. Strict: any mismatch (a thread missing, a different
 * operation) throws ScheduleDivergence. Lenient (for shrinking and fast-check):
 * switches that cannot be taken are skipped, and when the current thread cannot go
 * on the lowest-numbered enabled thread runs.
 */
export function followSchedule(s: Schedule, strict: boolean): Chooser {
  let k = 0;
  return (cp: ChoicePoint) => {
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
