// Detail on demand. Some of what a report says costs to record on every step and
// is read only when a report is written: KASAN's and kmemleak's stacks, captured at
// every allocation and free, were a fifth of an exploration's time. Exploring, runs
// are not `detailed` (RunOptions.detailed): the layer above leaves such things out,
// and when a report reads one it marks the run (Run.undetailed), whose findings are
// then marked `undetailed`. Before a finding leaves the engine (explore(),
// explorePart(), reconcile(); the shrinker's and a token's traced replays are
// detailed runs already) its schedule is run again, detailed, after its prelude, in
// a fresh exploration under the same options, and the report comes from there.
//
// A run is a function of its choices and parameters, so the re-run raises the same
// finding at the same step. That is checked on what the engine owns (kind, step,
// thread, schedule, trace): the message, report and details belong to the layer and
// differ by the detail itself. A re-run that raises something else is a determinism
// bug of the model; the finding, real as found, is kept as it was, and says so (in
// `details.detailError` and at the end of its report) rather than ending the
// exploration with an error that would lose it: the shrinker keeps a finding it
// cannot reproduce the same way.
import { Exploration, type ExploreOptions } from './explore.ts';
import type { Program } from './program.ts';
import { followSchedule, sameSchedule, scheduleDifference } from './schedule.ts';
import { describeThrown } from './thrown.ts';
import type { Finding } from './types.ts';

/** How the run that raised a finding ran, besides its schedule and parameters. */
export interface DetailOptions {
  readonly maxSteps?: number;
  /** The exploration went on past findings (not `stopOnFirst`), or stopped at a
   * kind (`stopAt`): the re-run stops at the finding's own kind. */
  readonly keepGoing?: boolean;
  readonly exhaustiveChecks?: boolean;
}

/** Replaces, in place, each finding of `d` that lacks detail with the same finding
 * from a detailed run of its schedule. */
export async function detailFindings(program: Program, d: Exploration, opts: ExploreOptions): Promise<void> {
  const o: DetailOptions = { maxSteps: d.maxSteps, keepGoing: d.keepGoing || opts.stopAt !== undefined, exhaustiveChecks: opts.exhaustiveChecks };
  for (let i = 0; i < d.findings.length; i++) {
    const f = d.findings[i]!;
    if (f.undetailed === true) d.findings[i] = await detailFinding(program, f, o);
  }
}

/** `f`, with the report, message and details of a detailed run of its schedule
 * (after its prelude, with its parameters); `f` as it was, marked, when that run
 * does not raise it again. A finding that lacks no detail is returned as it is. */
export async function detailFinding(program: Program, f: Finding, o: DetailOptions = {}): Promise<Finding> {
  if (f.undetailed !== true) return f;
  let why: string;
  try {
    const x = new Exploration(program, {
      maxSteps: o.maxSteps,
      params: f.params,
      exhaustiveChecks: o.exhaustiveChecks,
      detail: 'always',
      // Up to the finding the run goes as the original went; it ends there.
      ...(o.keepGoing === true ? { stopAt: f.kind } : {}),
    });
    for (const p of f.prelude ?? []) await x.runSchedule(followSchedule(p, true), f.params, { record: false });
    const run = await x.runSchedule(followSchedule(f.schedule, true), f.params, { record: false });
    const g = run.findings.find((y) => y.kind === f.kind);
    why = g === undefined ? `raised ${run.finding === null ? 'nothing' : run.finding.kind}, not ${f.kind}` : (difference(f, g) ?? '');
    if (g !== undefined && why === '') return withContent(f, g);
  } catch (e) {
    why = `threw: ${describeThrown(e)}`;
  }
  const detailError = `a detailed run of the finding's schedule ${why}: the model does not run the same way twice`;
  const { undetailed: _, ...kept } = f;
  const note = `septcheck: this report lacks detail (stacks): ${detailError}`;
  return { ...kept, report: f.report === undefined ? note : `${f.report}\n${note}`, details: { ...f.details, detailError } };
}

/** Where `g` is not the finding `f` (what the engine owns of it), or null. */
function difference(f: Finding, g: Finding): string | null {
  if (g.step !== f.step) return `raised ${f.kind} at step ${g.step}, not ${f.step}`;
  if (g.thread !== f.thread) return `raised ${f.kind} in ${g.thread ?? 'no thread'}, not ${f.thread ?? 'no thread'}`;
  if (!sameSchedule(g.schedule, f.schedule)) return `ran another schedule to ${f.kind}: ${scheduleDifference(g.schedule, f.schedule) ?? 'differs'}`;
  if (JSON.stringify(g.trace) !== JSON.stringify(f.trace)) {
    const i = f.trace.findIndex((ev, k) => JSON.stringify(ev) !== JSON.stringify(g.trace[k]));
    return `traced another run to ${f.kind}, from step ${i < 0 ? f.trace.length : i}`;
  }
  return null;
}

/** What the layer wrote of a finding (the rest is the engine's, the same in both). */
const CONTENT = ['message', 'report', 'call', 'state'] as const;

/** `f` with `g`'s content; details the exploration added to `f` (which strategy found
 * it, fast-check's seed and path) are kept. */
function withContent(f: Finding, g: Finding): Finding {
  const { undetailed: _, ...kept } = f;
  const out: Record<string, unknown> = kept;
  for (const k of CONTENT) {
    if (g[k] === undefined) delete out[k];
    else out[k] = g[k];
  }
  if (f.details !== undefined || g.details !== undefined) out.details = { ...f.details, ...g.details };
  return out as unknown as Finding;
}
