import type { Arbitrary } from 'fast-check';
import { detailFindings } from './detail.ts';
import { stateHashOf } from './guard.ts';
import type { Program } from './program.ts';
import { Run, type Chooser } from './run.ts';
import { followSchedule, sameSchedule, ScheduleDivergence } from './schedule.ts';
import { shrinkFinding } from './shrink.ts';
import type { Driver, RunScheduleOptions, Strategy, StrategyOptions } from './strategy.ts';
import { createStrategy, DEFAULT_STRATEGY, type StrategyName } from './strategies/index.ts';
import { thrownFrames } from './stack.ts';
import type { Bounds } from './scenario.ts';
import { describeThrown, safeJson } from './thrown.ts';
import type { Finding, Schedule } from './types.ts';
import { Watchdog } from './watchdog.ts';

export interface ExploreOptions {
  /** A strategy name or instance; default `portfolio`. */
  readonly strategy?: StrategyName | Strategy;
  /** Schedule budget; default 1000. */
  readonly schedules?: number;
  readonly seed?: number | string;
  /** Step bound of one schedule (livelock beyond it); default 10000. */
  readonly maxSteps?: number;
  readonly preemptions?: number;
  readonly depth?: number;
  /** dfs and dpor: iterative deepening of the preemption bound (0, 1, ... up to
   * `preemptions`), so a budget finds shallow bugs first. */
  readonly deepen?: boolean;
  /** Scenario parameters; default the program's own. */
  readonly params?: unknown;
  /** Stop at the first finding (default) or keep exploring. */
  readonly stopOnFirst?: boolean;
  /** With `stopOnFirst: false`: keep only the first finding of each kind, so that
   * only those are shrunk and reported. */
  readonly firstOfEachKind?: boolean;
  /** Every run goes on past findings of other kinds and stops at this kind (see
   * RunOptions.stopAt): how a finding collected behind another is replayed. */
  readonly stopAt?: string;
  /** fast-check's replay path, with `seed` (strategy `fastcheck`). */
  readonly path?: string;
  /** Minimise every finding before reporting it (default true). */
  readonly shrink?: boolean;
  /** Replays the shrinker may spend on one finding; default 2000. */
  readonly shrinkRuns?: number;
  /** Ends the exploration early once it returns true (e.g. a wall-time budget,
   * kept outside the engine). Checked before each schedule. */
  readonly stopWhen?: () => boolean;
  /** A budget that may shrink while the exploration runs (a split exploration's
   * coordinator lowers it as earlier parts use the shared budget): no schedule
   * starts once this many have run. Checked before each schedule. */
  readonly cap?: () => number;
  /** Remember which run each schedule was, so that `witnesses()` can name the
   * schedules cross-schedule state remembers (a split exploration's parts). */
  readonly witnesses?: boolean;
  /** Check every invariant after every step, even where nothing it read changed
   * (see RunOptions.exhaustiveChecks; default SEPTCHECK_EXHAUSTIVE_CHECKS=1). */
  readonly exhaustiveChecks?: boolean;
  /** `lazy` (default): runs leave out of their reports what costs to record on every
   * step (KASAN's stacks; RunOptions.detailed), and each finding that lacks it gets
   * it from a detailed run of its schedule before it is returned (detail.ts).
   * `always`: every run is detailed, as a test's reference. */
  readonly detail?: 'lazy' | 'always';
}

/** A value in `run.shared` that carries what earlier schedules did into later ones
 * (lockdep's dependency graph) names the runs whose effects it holds: replaying
 * those schedules, in order, in one exploration, rebuilds it. A split exploration
 * (split.ts) replays the witnesses of all its parts together, so that a finding
 * that needs schedules of two parts is not missed. */
export interface CrossSchedule {
  witnesses(): Iterable<Run>;
}

/** Whether a shared value says which runs it remembers. */
export function isCrossSchedule(v: unknown): v is CrossSchedule {
  return typeof v === 'object' && v !== null && typeof (v as { witnesses?: unknown }).witnesses === 'function';
}

/** A schedule a part's cross-schedule state remembers, with the parameters it ran with. */
export interface Witness {
  readonly schedule: Schedule;
  readonly params: unknown;
}

export interface ExploreStats {
  schedules: number;
  steps: number;
  /** Total preemptions over all schedules, and the most in one. */
  preemptions: number;
  maxPreemptions: number;
  /** Distinct terminal states, by the program's state hash. */
  terminalStates: number;
  [extra: string]: number | string;
}

/** What a result claims. `proved`: every schedule the bound covers was explored and
 * none broke a check; `sampled`: some schedules ran (budget, time or a sampling
 * strategy), none broke a check, nothing is claimed of the others; `found`: a finding. */
export interface Verdict {
  readonly class: 'proved' | 'sampled' | 'found';
  readonly schedules: number;
  /** With `proved`: the preemption bound, or null for every schedule at all. */
  readonly bound?: number | null;
}

export interface ExploreResult {
  readonly findings: Finding[];
  readonly stats: ExploreStats;
  readonly verdict: Verdict;
  /** A pinned program (a regression) whose schedule no longer reproduced its kind:
   * why, and whether exploring it under the pin's bounds confirmed the fix (clean). */
  readonly fix?: { readonly why: string; readonly confirmed: boolean };
}

/** The verdict in words, e.g. `clean, proved within 2 preemptions (74 schedules)`. */
export function describeVerdict(v: Verdict, found?: string): string {
  const n = `${v.schedules} schedule${v.schedules === 1 ? '' : 's'}`;
  switch (v.class) {
    case 'found':
      return `${found ?? 'a finding'} in ${n}`;
    case 'proved':
      return v.bound === null || v.bound === undefined
        ? `clean, proved for every schedule (${n})`
        : `clean, proved within ${v.bound} preemption${v.bound === 1 ? '' : 's'} (${n})`;
    case 'sampled':
      return `clean, sampled ${n} (not exhaustive)`;
  }
}

/** Every this many schedules the exploration lets the event loop turn (progress, signals). */
const YIELD_EVERY = 2048;

/** One exploration: owns the budget, the findings, the stats and the state shared
 * across its schedules. */
export class Exploration implements Driver {
  readonly findings: Finding[] = [];
  readonly shared = new Map<string, unknown>();
  readonly extra: Record<string, number | string> = {};
  readonly maxSteps: number;
  readonly params: unknown;
  readonly paramsArbitrary?: Arbitrary<unknown>;
  readonly budget: number;
  readonly tracked: boolean;
  readonly keepGoing: boolean;
  /** Every run is detailed (ExploreOptions.detail `always`). */
  readonly detailed: boolean;
  /** Set by `exhausted()`: the preemption bound every schedule within which ran
   * (null: no bound); undefined while nothing is proved. */
  provedBound: number | null | undefined = undefined;
  private readonly stopOnFirst: boolean;
  private readonly firstOfEachKind: boolean;
  private readonly stopAt: string | undefined;
  private readonly watchdog = new Watchdog();
  private readonly states = new Set<string>();
  private schedules = 0;
  private steps = 0;
  private preemptions = 0;
  private maxPreemptions = 0;
  private readonly stopWhen?: () => boolean;
  private readonly cap?: () => number;
  /** Remember each run's schedule number and parameters (ExploreOptions.witnesses),
   * on the run (Run.local(), not a WeakMap keyed by it: see there). */
  private readonly witnessing: boolean;
  /** This exploration's key of that record. */
  private readonly witnessKey = {};
  private readonly exhaustiveChecks: boolean | undefined;
  /** Largest value of each run metric over the schedules. */
  private readonly metricMax = new Map<string, number>();
  /** Schedules run up to and including the first that failed, recorded or not. */
  private firstFindingAt = 0;

  constructor(
    readonly program: Program,
    opts: ExploreOptions,
  ) {
    this.budget = opts.schedules ?? 1000;
    this.maxSteps = opts.maxSteps ?? 10_000;
    this.params = opts.params ?? program.params;
    // Caller-fixed parameters are not redrawn.
    if (opts.params === undefined) this.paramsArbitrary = program.paramsArbitrary;
    this.stopOnFirst = opts.stopOnFirst ?? true;
    this.keepGoing = !this.stopOnFirst;
    this.firstOfEachKind = opts.firstOfEachKind === true;
    this.stopAt = opts.stopAt;
    this.tracked = program.tracked === true;
    this.stopWhen = opts.stopWhen;
    this.cap = opts.cap;
    this.witnessing = opts.witnesses === true;
    this.exhaustiveChecks = opts.exhaustiveChecks;
    this.detailed = opts.detail === 'always';
  }

  exhausted(bound?: number): void {
    // A search stopped by its first finding proves nothing of what it did not run.
    if (this.stopOnFirst && this.findings.length > 0) return;
    this.provedBound = bound === undefined || !Number.isFinite(bound) ? null : bound;
    this.extra.complete = this.provedBound === null ? 'yes' : `within preemption bound ${this.provedBound}`;
  }

  /** The verdict of the schedules run so far. */
  verdict(): Verdict {
    if (this.findings.length > 0) return { class: 'found', schedules: this.schedules };
    if (this.provedBound !== undefined) return { class: 'proved', schedules: this.schedules, bound: this.provedBound };
    return { class: 'sampled', schedules: this.schedules };
  }

  more(): boolean {
    if (this.stopOnFirst && this.findings.length > 0) return false;
    if (this.stopWhen !== undefined && this.stopWhen()) return false;
    if (this.cap !== undefined && !(this.schedules < this.cap())) return false;
    return this.schedules < this.budget;
  }

  /** Hashes of the distinct terminal states reached. */
  terminalStates(): ReadonlySet<string> {
    return this.states;
  }

  /** The largest value of each run metric over the schedules (e.g. spteVisits). */
  metrics(): ReadonlyMap<string, number> {
    return this.metricMax;
  }

  /** Schedules run up to and including the first that failed; 0 when none did. */
  get firstFailure(): number {
    return this.firstFindingAt;
  }

  /** The schedules the exploration's cross-schedule state remembers (see
   * CrossSchedule), in the order they ran; needs ExploreOptions.witnesses. When some
   * shared value cannot say (it does not implement CrossSchedule): its key. */
  witnesses(): { readonly witnesses: Witness[] } | { readonly opaque: string } {
    const found = new Map<number, Witness>();
    for (const [key, v] of this.shared) {
      if (!isCrossSchedule(v)) return { opaque: key };
      for (const run of v.witnesses()) {
        const r = run.localOf<{ readonly n: number; readonly params: unknown }>(this.witnessKey);
        if (r !== undefined) found.set(r.n, { schedule: run.schedule(), params: r.params });
      }
    }
    return { witnesses: [...found.entries()].sort((a, b) => a[0] - b[0]).map(([, w]) => w) };
  }

  async runSchedule(chooser: Chooser, params: unknown = this.params, opts: RunScheduleOptions = {}): Promise<Run> {
    if (this.schedules > 0 && this.schedules % YIELD_EVERY === 0) await new Promise((r) => setImmediate(r));
    const run = await this.execute(chooser, params, opts);
    this.schedules++;
    if (this.witnessing) run.setLocal(this.witnessKey, { n: this.schedules, params });
    this.steps += run.step;
    this.preemptions += run.preemptions;
    if (run.preemptions > this.maxPreemptions) this.maxPreemptions = run.preemptions;
    // Every run that reached its end has a terminal state, findings or not.
    const state = run.cutShort ? null : stateHashOf(this.program, run); // may make the run's finding
    if (state !== null) this.states.add(state);
    const metrics = run.metrics();
    if (metrics.size > 0) for (const [k, v] of metrics) if (!(v <= (this.metricMax.get(k) ?? -Infinity))) this.metricMax.set(k, v);
    if (run.finding !== null) {
      if (this.firstFindingAt === 0) this.firstFindingAt = this.schedules;
      for (const f of run.findings) {
        f.params = params;
        if (run.undetailed) f.undetailed = true;
        if (opts.record !== false) this.report(f);
      }
    }
    return run;
  }

  report(finding: Finding): void {
    if (this.firstOfEachKind && this.findings.some((f) => f.kind === finding.kind)) return;
    this.findings.push(finding);
  }

  /** Replays `schedule` strictly, after its prelude, in this exploration. */
  async replay(schedule: Schedule, prelude: readonly Schedule[] = [], params: unknown = this.params): Promise<Run> {
    for (const p of prelude) await this.replayOne(p, params);
    return this.replayOne(schedule, params);
  }

  stats(): ExploreStats {
    return {
      schedules: this.schedules,
      steps: this.steps,
      preemptions: this.preemptions,
      maxPreemptions: this.maxPreemptions,
      terminalStates: this.states.size,
      ...Object.fromEntries(this.metricMax),
      ...(this.firstFindingAt > 0 ? { firstFindingAt: this.firstFindingAt } : {}),
      ...this.extra,
    };
  }

  private async replayOne(schedule: Schedule, params: unknown): Promise<Run> {
    const run = await this.execute(followSchedule(schedule, true), params, {});
    const got = run.schedule();
    if (!sameSchedule(got, schedule)) {
      throw new ScheduleDivergence(
        `replay diverged: expected ${schedule.steps} steps / ${schedule.switches.length} switches, got ${got.steps} / ${got.switches.length}`,
      );
    }
    return run;
  }

  /** Sets up and runs one schedule to its end. */
  private async execute(chooser: Chooser, params: unknown, opts: RunScheduleOptions): Promise<Run> {
    const ro = {
      maxSteps: this.maxSteps,
      shared: this.shared,
      record: opts.footprints === true,
      keepGoing: this.keepGoing,
      stopAt: this.stopAt,
      trace: opts.trace,
      before: opts.before,
      tracked: this.tracked,
      exhaustiveChecks: this.exhaustiveChecks,
      detailed: this.detailed,
    };
    const run = opts.backend === undefined ? new Run(chooser, ro) : opts.backend(ro);
    try {
      this.program.setup(run, params);
    } catch (e) {
      // Parameters the strategy drew can break the set-up: a finding, not a crash.
      const message = `setup threw for params ${safeJson(params)}: ${describeThrown(e)}`;
      run.report({ kind: 'setup-exception', message, details: { stack: thrownFrames(e) } }, true);
    }
    this.watchdog.arm(run);
    await run.start();
    this.watchdog.active = null;
    if (run.strategyError !== undefined) throw run.strategyError;
    return run;
  }
}

export function strategyOptions(opts: ExploreOptions, program?: Program): StrategyOptions {
  return {
    pinned: program?.pinned,
    seed: opts.seed ?? 0,
    maxSteps: opts.maxSteps ?? 10_000,
    preemptions: opts.preemptions,
    depth: opts.depth,
    deepen: opts.deepen,
    path: opts.path,
  };
}

/** Explores the schedules of `program` and resolves to its findings and figures. */
export async function explore(program: Program, opts: ExploreOptions = {}): Promise<ExploreResult> {
  // A pinned program (a regression) replays its schedule unless told otherwise.
  const strategy = strategyFor(program, opts);
  // A regression runs its pinned schedule once (after its prelude): detailed, as
  // there is nothing to save.
  const d = new Exploration(program, strategy.name === 'replay' ? { ...opts, detail: 'always' } : opts);
  await strategy.explore(d);
  const pin = program.pinned;
  if (strategy.name === 'replay' && pin?.confirm !== undefined && !d.findings.some((f) => f.kind === pin.kind)) {
    return confirmFix(program, pin.confirm, d, opts);
  }
  // A replayed schedule is already the one to report.
  await finishFindings(program, d, strategy.name === 'replay' ? { ...opts, shrink: false } : opts);
  return { findings: d.findings, stats: d.stats(), verdict: d.verdict() };
}

/** Minimises every finding of an exploration in place (unless `opts.shrink` is
 * false); the replays spent go to its `shrinkRuns`. */
export async function shrinkFindings(program: Program, d: Exploration, opts: ExploreOptions): Promise<void> {
  if (opts.shrink === false || d.findings.length === 0) return;
  let runs = 0;
  for (let i = 0; i < d.findings.length; i++) {
    // A finding kept going past is shrunk as it is replayed: past findings of other kinds.
    const f = d.findings[i]!;
    const r = await shrinkFinding(program, f, { maxSteps: d.maxSteps, maxRuns: opts.shrinkRuns, ...(d.keepGoing ? { stopAt: f.kind } : {}) });
    d.findings[i] = r.finding;
    runs += r.runs;
  }
  d.extra.shrinkRuns = runs;
}

/** Makes the findings of `d` what leaves the engine: shrunk (unless `opts.shrink` is
 * false), then given the detail their runs left out (detail.ts). Every exit of an
 * exploration (explore(), a split's part, its reconciliation) ends with it. */
export async function finishFindings(program: Program, d: Exploration, opts: ExploreOptions): Promise<void> {
  await shrinkFindings(program, d, opts);
  await detailFindings(program, d, opts);
}

/** The strategy `explore` would run: the one named (or given), else `replay` for a
 * pinned program, else the default. */
export function strategyFor(program: Program, opts: ExploreOptions): Strategy {
  const name = opts.strategy ?? (program.pinned !== undefined ? 'replay' : DEFAULT_STRATEGY);
  return typeof name === 'object' ? name : createStrategy(name, strategyOptions(opts, program));
}

/** A regression whose pinned schedule no longer reproduces its finding: the fix is
 * confirmed when the program, explored under the pin's bounds (its base scenario's),
 * is clean. Whatever that exploration finds is the result. */
async function confirmFix(program: Program, b: Bounds, pinned: Exploration, opts: ExploreOptions): Promise<ExploreResult> {
  const other = pinned.findings[0];
  const why =
    typeof pinned.extra.pinned === 'string'
      ? pinned.extra.pinned
      : other === undefined
        ? 'the pinned schedule runs clean'
        : `the pinned schedule raises ${other.kind} instead`;
  const { pinned: _, ...unpinned } = program;
  const r = await explore(unpinned, {
    strategy: b.strategy as StrategyName | undefined,
    schedules: b.schedules,
    seed: b.seed,
    maxSteps: b.maxSteps,
    preemptions: b.preemptions,
    depth: b.depth,
    deepen: b.deepen,
    shrink: opts.shrink,
    shrinkRuns: opts.shrinkRuns,
    stopWhen: opts.stopWhen,
    detail: opts.detail,
  });
  const confirmed = r.findings.length === 0;
  const claim = `${why}; explored with the scenario's bounds: ${describeVerdict(r.verdict, r.findings[0]?.kind)}`;
  return { ...r, stats: { ...r.stats, pinned: claim }, fix: { why, confirmed } };
}
