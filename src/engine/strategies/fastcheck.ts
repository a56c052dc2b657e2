import fc from 'fast-check';
import { hashText } from '../hash.ts';
import type { ChoicePoint, Chooser } from '../run.ts';
import type { Driver, Strategy, StrategyOptions } from '../strategy.ts';

/** One switch of a fast-check schedule: at the first choice point at or after step
 * `at`, enabled thread `pick mod n` runs. No switches: no preemption. */
export interface Entry {
  readonly at: number;
  readonly pick: number;
}

/**
 * Switches drawn over the whole run: `at` is uniform in [0, span], where span is a
 * little beyond the length of a run without preemption, so a switch may fall on any
 * step, the last included (a thread of 101 can be preempted at step 600). No bias:
 * fast-check's usual lean to small values would crowd the switches into the first
 * steps. fast-check still shrinks toward fewer switches, earlier and to lower picks.
 */
export function scheduleArbitrary(span: number): fc.Arbitrary<Entry[]> {
  return fc.array(fc.noBias(fc.record({ at: fc.nat({ max: span }), pick: fc.nat({ max: 0xffff }) })));
}

/** Follows the switches in step order; between them the current thread runs on, and
 * when it cannot the lowest-numbered enabled thread runs. */
export function entriesChooser(entries: readonly Entry[]): Chooser {
  const sorted = [...entries].sort((a, b) => a.at - b.at);
  let k = 0;
  return (cp: ChoicePoint) => {
    let pick = -1;
    while (k < sorted.length && sorted[k]!.at <= cp.step) pick = sorted[k++]!.pick;
    if (pick >= 0) return pick % cp.enabled.length;
    const cur = cp.current === null ? -1 : cp.enabled.indexOf(cp.current);
    return cur >= 0 ? cur : 0;
  };
}

/** fast-check takes a 32-bit integer seed. */
export function fastcheckSeed(seed: number | string): number {
  return typeof seed === 'number' ? seed | 0 : parseInt(hashText(seed).slice(0, 8), 16) | 0;
}

/** Tells fast-check to stop at once: an interrupting precondition, never a failure. */
const stop = () => new fc.PreconditionFailure(true);

/**
 * The schedule is a fast-check arbitrary, drawn together with the program's
 * parameters; fast-check then shrinks both at once (fewer entries means fewer
 * switches). Unlike `fc.scheduler()`, whose schedule never shrinks. A first run
 * without preemption measures the span the switches are drawn over; it is the same
 * run every time, so a seed and path still name one schedule. The budget and
 * `stopWhen` are checked before every run, shrinking included: they change how many
 * schedules run, never which. The finding carries `details.fastcheck = {seed, path}`;
 * passing them back (`seed`, `path`) replays that counterexample without searching.
 */
export function fastcheckStrategy(opts: StrategyOptions): Strategy {
  return {
    name: 'fastcheck',
    async explore(d: Driver) {
      if (!d.more()) return;
      const probe = await d.runSchedule(entriesChooser([]), d.params);
      if (probe.finding !== null || !d.more()) return;
      const span = probe.step + (probe.step >> 1) + 1;
      d.extra.fastcheckSpan = span;
      const arb = fc.record({ schedule: scheduleArbitrary(span), params: d.paramsArbitrary ?? fc.constant(d.params) });
      const property = fc.asyncProperty(arb, async ({ schedule, params }) => {
        if (!d.more()) throw stop();
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
