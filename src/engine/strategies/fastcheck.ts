import fc from 'fast-check';
import { hashText } from '../hash.ts';
import type { ChoicePoint, Chooser } from '../run.ts';
import type { Driver, Strategy, StrategyOptions } from '../strategy.ts';

/** One entry of a fast-check schedule: the running thread goes on for `run` more
 * steps, then enabled thread `pick mod n` runs. No entries: no preemption. */
export interface Entry {
  readonly run: number;
  readonly pick: number;
}

/** Longest stretch one entry lets a thread run; longer ones chain entries that pick
 * the current thread. Small, so random schedules switch often. */
const RUN_MAX = 12;

export const scheduleArbitrary: fc.Arbitrary<Entry[]> = fc.array(
  fc.record({ run: fc.nat({ max: RUN_MAX }), pick: fc.nat({ max: 255 }) }),
);

/** Follows a list of entries, then lets the current thread run on. */
export function entriesChooser(entries: readonly Entry[]): Chooser {
  let k = 0;
  let at = entries.length > 0 ? entries[0]!.run : Infinity;
  return (cp: ChoicePoint) => {
    if (cp.step >= at) {
      const e = entries[k++]!;
      at = k < entries.length ? cp.step + 1 + entries[k]!.run : Infinity;
      return e.pick % cp.enabled.length;
    }
    const cur = cp.current === null ? -1 : cp.enabled.indexOf(cp.current);
    return cur >= 0 ? cur : 0;
  };
}

/** fast-check takes a 32-bit integer seed. */
export function fastcheckSeed(seed: number | string): number {
  return typeof seed === 'number' ? seed | 0 : parseInt(hashText(seed).slice(0, 8), 16) | 0;
}

/**
 * The schedule is a fast-check arbitrary, drawn together with the program's
 * parameters; fast-check then shrinks both at once (fewer entries means fewer
 * switches). Unlike `fc.scheduler()`, whose schedule never shrinks. The finding
 * carries `details.fastcheck = {seed, path}`; passing them back (`seed`, `path`)
 * replays that counterexample without searching again.
 */
export function fastcheckStrategy(opts: StrategyOptions): Strategy {
  return {
    name: 'fastcheck',
    async explore(d: Driver) {
      if (!d.more()) return;
      const arb = fc.record({ schedule: scheduleArbitrary, params: d.paramsArbitrary ?? fc.constant(d.params) });
      const property = fc.asyncProperty(arb, async ({ schedule, params }) => {
        const run = await d.runSchedule(entriesChooser(schedule), params, { record: false });
        return run.finding === null;
      });
      const replay = opts.path !== undefined;
      const out = await fc.check(property, {
        seed: fastcheckSeed(opts.seed),
        numRuns: d.budget,
        ...(replay ? { path: opts.path, endOnFailure: true } : {}),
      });
      d.extra.fastcheckShrinks = out.numShrinks;
      if (!out.failed || out.counterexample === null) return;
      const [{ schedule, params }] = out.counterexample;
      const run = await d.runSchedule(entriesChooser(schedule), params, { record: false });
      if (run.finding === null) throw new Error(`fastcheck: counterexample did not fail again: ${String(out.errorInstance)}`);
      const fastcheck = { seed: out.seed, path: out.counterexamplePath };
      d.report({ ...run.finding, details: { ...run.finding.details, fastcheck } });
    },
  };
}
