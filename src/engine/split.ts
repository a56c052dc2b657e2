// One scenario's exploration cut into independent work items, for workers and
// machines (the sweep's --split), and put back together.
//
// - dfs and dpor: the schedule tree is cut at its first K choice points, enumerated
//   with plain dfs (no reduction) within the preemption bound; each prefix is an
//   item, explored by the scenario's own strategy with the prefix fixed (dfs.ts,
//   dpor.ts: nothing above the prefix is backtracked into). dpor.ts argues why dpor
//   below a fixed prefix loses nothing.
// - samplers (random, pct, pos, urw, guided, fastcheck, portfolio): the budget is
//   cut into seed ranges, each an item with a share of the budget and a seed of its
//   own (the first keeps the scenario's seed). A learning sampler (pct's k, urw's
//   counts, guided's corpus) learns afresh in each.
//
// The items depend only on the scenario, its strategy, seed and bounds, never on how
// many workers or machines run them; so the parts, however they are spread, give the
// same result as running the items one after another in one process, which is what
// `exploreSplit` does. The items share the schedule budget in their order, as one
// exploration would (see resolveParts): a part that started before the parts ahead
// of it had used their share ran under a bound on what it might be left, and is run
// again with exactly what it was left when it ran further. A `proved` verdict needs
// every item explored to its end within the budget, and none cut short.
//
// One exploration's schedules share state besides the program's: lockdep's graph,
// where a dependency one schedule records meets its inverse from another. Each item
// is its own exploration, so each part names the schedules its cross-schedule state
// remembers (explore.ts, CrossSchedule), and once the parts are in, those of every
// part are replayed together in one exploration (`reconcile`): a finding that needs
// schedules of two items is found there. The state is a set of facts each schedule
// adds whatever ran before it, and lockdep reports a conflict among facts whoever
// added them, so the union the replay rebuilds finds what one exploration of all the
// items would find. A program whose shared state cannot name its schedules is
// explored whole by dfs and dpor (a sampler claims no proof, and splits anyway).
import { hashText } from './hash.ts';
import { explore, Exploration, finishFindings, strategyFor, strategyOptions, type ExploreOptions, type ExploreResult, type ExploreStats, type Verdict, type Witness } from './explore.ts';
import type { Program } from './program.ts';
import { followSchedule } from './schedule.ts';
import { createStrategy, DEFAULT_STRATEGY } from './strategies/index.ts';
import { dfsWalk } from './strategies/dfs.ts';
import { refinePrefixes, type PlannedPrefix } from './split-balance.ts';
import { driverOver } from './strategy.ts';
import type { Finding } from './types.ts';

/** One work item of a split exploration. */
export type WorkItem =
  /** The exploration itself, unsplit. */
  | { readonly kind: 'whole' }
  /** dfs and dpor: the subtree below these choices (thread ids at the first choice points). */
  | { readonly kind: 'prefix'; readonly prefix: readonly number[] }
  /** Samplers: the strategy with this seed, for `schedules` schedules. */
  | { readonly kind: 'seeds'; readonly seed: number | string; readonly schedules: number };

/** How an exploration is cut. Plain data (JSON), the same on every machine. */
export interface SplitPlan {
  readonly strategy: string;
  readonly items: readonly WorkItem[];
  /** The most schedules each item may run: its share (a sampler), or the whole budget. */
  readonly budgets: readonly number[];
  /** The budget the items draw from in their order (dfs, dpor, whole), or null when
   * each has its own share (samplers). */
  readonly shared: number | null;
  /** Items that can prove: a complete set of them is a proof within `bound`. */
  readonly exhaustive: boolean;
  /** The preemption bound (null: none). */
  readonly bound: number | null;
  /** The enumeration of the prefixes had a choice cut by the bound. */
  readonly cut: boolean;
  /** Prefixes: the choice points enumerated (counting those with a choice). */
  readonly depth?: number;
  /** Prefixes cut deeper than `depth` to balance the items: the deepest. */
  readonly deepest?: number;
  /** Why the exploration is one item, when it is. */
  readonly whole?: string;
}

/** Items a split aims at, by default: enough to keep a few workers busy to the end
 * (the last items are small), few enough that the unreduced top of a dpor tree stays
 * small. */
export const SPLIT_TARGET = 32;
/** A sampler's item runs at least this many schedules (each restarts its strategy). */
export const SAMPLER_ITEM = 100;
/** The planner stops deepening once its enumeration has run this many schedules. */
const PLAN_RUNS = 4096;
/** Balancing may cut the items into at most this many times the target. */
const REFINE_ITEMS = 8;
/** Strategies that are no sampler: their own way of running (or none at all). */
const WHOLE = new Set(['replay', 'stress']);

/** The seed of a sampler's item `k`: the scenario's own for the first. */
export function itemSeed(seed: number | string, k: number): number | string {
  return k === 0 ? seed : `${seed}/${k}`;
}

/** Cuts an exploration of `program` under `opts` into about `target` items. dfs and
 * dpor run the program to enumerate the prefixes (no finding is kept: each item
 * finds its own), then (`balance`, split-balance.ts) cut the heaviest deeper. */
export async function planSplit(program: Program, opts: ExploreOptions = {}, target = SPLIT_TARGET, balance = true): Promise<SplitPlan> {
  const strategy = typeof opts.strategy === 'object' ? opts.strategy.name : (opts.strategy ?? (program.pinned !== undefined ? 'replay' : DEFAULT_STRATEGY));
  const budget = opts.schedules ?? 1000;
  const bound = opts.preemptions === undefined || !Number.isFinite(opts.preemptions) ? null : opts.preemptions;
  const whole = (why: string): SplitPlan => ({ strategy, items: [{ kind: 'whole' }], budgets: [budget], shared: budget, exhaustive: false, bound, cut: false, whole: why });
  if (typeof opts.strategy === 'object') return whole('a strategy given as an object runs whole');
  if (strategy === 'replay' || program.pinned !== undefined) return whole("a regression follows its pinned schedule");
  if (target <= 1) return whole('one item asked for');
  if (strategy === 'dfs' || strategy === 'dpor') {
    if (opts.deepen === true) return whole('iterative deepening (bounds.deepen) runs whole');
    return planPrefixes(program, opts, strategy, budget, bound, target, balance, whole);
  }
  // Every other strategy samples schedules from its seed.
  if (WHOLE.has(strategy)) return whole(`${strategy} runs whole`);
  if (opts.path !== undefined) return whole("fast-check's replay path runs whole");
  const m = Math.min(target, Math.floor(budget / SAMPLER_ITEM));
  if (m <= 1) return whole(`a budget of ${budget} schedules is one item (at least ${SAMPLER_ITEM} each)`);
  const seed = opts.seed ?? 0;
  const share = (k: number) => Math.floor(budget / m) + (k < budget % m ? 1 : 0);
  const items: WorkItem[] = Array.from({ length: m }, (_, k) => ({ kind: 'seeds', seed: itemSeed(seed, k), schedules: share(k) }));
  return { strategy, items, budgets: items.map((_, k) => share(k)), shared: null, exhaustive: false, bound, cut: false };
}

async function planPrefixes(
  program: Program,
  opts: ExploreOptions,
  strategy: string,
  budget: number,
  bound: number | null,
  target: number,
  balance: boolean,
  whole: (why: string) => SplitPlan,
): Promise<SplitPlan> {
  // Runs stop at findings as the items' will (so a prefix never names a choice past
  // where an item's run ends), but record none: the items run them again.
  const x = new Exploration(program, { maxSteps: opts.maxSteps, params: opts.params, schedules: Number.MAX_SAFE_INTEGER, stopOnFirst: opts.stopOnFirst, firstOfEachKind: opts.firstOfEachKind, stopAt: opts.stopAt, witnesses: true });
  const d = driverOver(x, { runSchedule: (c, p, o) => x.runSchedule(c, p, { ...o, record: false }) });
  let prefixes: PlannedPrefix[] = [{ prefix: [], frames: 0, shape: { preempted: 0, points: 0 } }];
  let depth = 0;
  let cut = false;
  let runs = 0;
  for (let k = 1; prefixes.length < target && runs < PLAN_RUNS; k++) {
    const next: PlannedPrefix[] = [];
    let deeper = false;
    let levelCut = false;
    await dfsWalk(d, {
      bound: bound ?? Infinity,
      frames: k,
      onBoundCut: () => (levelCut = true),
      onRun: (_run, chosen, frames, shape) => {
        next.push({ prefix: [...chosen], frames, shape });
        if (frames === k) deeper = true;
      },
    });
    runs += next.length;
    // A deeper level that adds nothing is no better cut.
    if (next.length > prefixes.length || depth === 0) {
      prefixes = next;
      depth = k;
      cut = levelCut;
    }
    if (!deeper) break;
  }
  // Then the heaviest items deeper still, so that none holds more than its share.
  if (balance && prefixes.length > 1) {
    const r = await refinePrefixes(d, prefixes, bound ?? Infinity, target, target * REFINE_ITEMS, PLAN_RUNS * 2 - runs);
    prefixes = r.prefixes;
    cut ||= r.cut;
  }
  const deepest = Math.max(...prefixes.map((p) => p.frames));
  const shared = x.witnesses();
  if ('opaque' in shared) return whole(`its cross-schedule state '${shared.opaque}' cannot name the schedules it remembers`);
  if (prefixes.length <= 1) return whole('its schedule tree has a single branch within the bound');
  return {
    strategy,
    items: prefixes.map((p) => ({ kind: 'prefix', prefix: p.prefix })),
    budgets: prefixes.map(() => budget),
    shared: budget,
    exhaustive: true,
    bound,
    cut,
    depth,
    ...(deepest > depth ? { deepest } : {}),
  };
}

/** What the coordination of parts needs to know of one. */
export interface PartOutcome {
  readonly item: number;
  /** The cap it was started under (capFor when it started). */
  readonly cap: number;
  /** Schedules it ran (a strategy may run one past its cap: fastcheck replays its
   * counterexample). */
  readonly schedules: number;
  /** It explored its whole item (an exhaustive item's subtree). */
  readonly exhausted: boolean;
  /** With `exhausted`: the preemption bound its proof is within (null: every schedule). */
  readonly bound?: number | null;
  readonly found: boolean;
  /** Set when the part could not be judged (it hung, timed out, crashed). */
  readonly error?: string;
}

/** One explored item. */
export interface PartResult<F = Finding> extends PartOutcome {
  readonly findings: readonly F[];
  readonly steps: number;
  readonly preemptions: number;
  readonly maxPreemptions: number;
  /** Schedules up to and including its first that failed (0: none). */
  readonly firstFindingAt: number;
  readonly shrinkRuns: number;
  /** Each run metric's largest value (spteVisits, ...). */
  readonly metrics: Readonly<Record<string, number>>;
  /** Its distinct terminal states, hashed. */
  readonly states: readonly string[];
  /** The schedules its cross-schedule state remembers, in order. */
  readonly witnesses: readonly Witness[];
}

/** The most schedules item `k` can be left, from the parts known so far (those
 * before it that are not known count as using nothing). */
export function capFor(plan: SplitPlan, parts: ReadonlyMap<number, PartOutcome>, k: number): number {
  const own = plan.budgets[k]!;
  if (plan.shared === null) return own;
  let left = plan.shared;
  for (const [j, p] of parts) if (j < k) left -= p.schedules;
  return Math.max(0, Math.min(own, left));
}

/** Whether item `k` can still count: the budget may leave it something, and no
 * part before it found something that ends the exploration. */
export function relevant(plan: SplitPlan, parts: ReadonlyMap<number, PartOutcome>, k: number, stopOnFirst: boolean): boolean {
  if (capFor(plan, parts, k) <= 0) return false;
  if (stopOnFirst) for (const [j, p] of parts) if (j < k && p.found && p.error === undefined) return false;
  return true;
}

/** Where the parts stand, as one exploration running the items in order would see it.
 * A coordinator that stops a part early because a part before it found something
 * (`relevant` turned false) drops that part's result: should the finding not count
 * after all, the part runs again. */
export type Resolution =
  /** Item `waiting` is needed next, and not in. */
  | { readonly state: 'waiting'; readonly waiting: number; readonly taken: readonly number[] }
  /** Item `item` ran further than it was left (it started early): run it again under `cap`. */
  | { readonly state: 'rerun'; readonly item: number; readonly cap: number; readonly taken: readonly number[] }
  /** Item `item` could not be judged before anything ended the exploration. */
  | { readonly state: 'error'; readonly item: number; readonly taken: readonly number[] }
  /** Done: `taken` are the items that count, in order; `complete` when every item
   * ran to its end (the plan's items then prove, if exhaustive). */
  | { readonly state: 'done'; readonly taken: readonly number[]; readonly complete: boolean; readonly stoppedAt?: number };

/** Walks the items in order as one exploration would run them: each may use what
 * the budget has left after the ones before (its cap); the walk ends when the budget
 * is spent, or (stopOnFirst) at the first item that found something. */
export function resolveParts(plan: SplitPlan, parts: ReadonlyMap<number, PartOutcome>, stopOnFirst: boolean): Resolution {
  let left = plan.shared ?? Infinity;
  const taken: number[] = [];
  let complete = true;
  for (let k = 0; k < plan.items.length; k++) {
    const cap = Math.min(plan.budgets[k]!, left);
    if (cap <= 0) return { state: 'done', taken, complete: false };
    const p = parts.get(k);
    if (p === undefined) return { state: 'waiting', waiting: k, taken };
    if (p.error !== undefined) return { state: 'error', item: k, taken };
    // Started before the parts ahead of it were in, it ran past what they left it.
    if (p.schedules > cap && p.cap > cap) return { state: 'rerun', item: k, cap, taken };
    taken.push(k);
    left -= p.schedules;
    if (!p.exhausted) complete = false;
    if (stopOnFirst && p.found) return { state: 'done', taken, complete: false, stoppedAt: k };
  }
  return { state: 'done', taken, complete };
}

/** The witnesses of the items that count, in order, when replaying them together
 * can find something no part could: two or more parts remember schedules, and
 * (stopping at the first finding) none of them found anything. Else null. */
export function witnessesToReconcile(parts: ReadonlyMap<number, PartResult<unknown>>, taken: readonly number[], stopOnFirst: boolean): Witness[] | null {
  const ps = taken.map((k) => parts.get(k)!);
  if (stopOnFirst && ps.some((p) => p.found)) return null;
  if (ps.filter((p) => p.witnesses.length > 0).length < 2) return null;
  return ps.flatMap((p) => p.witnesses);
}

/** What the replay of the parts' witnesses found. */
export interface Reconciled<F = Finding> {
  readonly findings: readonly F[];
  /** Witness schedules replayed. */
  readonly runs: number;
  readonly shrinkRuns: number;
}

/** The verdict, findings and figures of the items that count, in their order, and
 * what their reconciliation found. */
export function mergeParts<F extends { readonly kind: string }>(
  plan: SplitPlan,
  parts: ReadonlyMap<number, PartResult<F>>,
  r: Extract<Resolution, { state: 'done' }>,
  opts: Pick<ExploreOptions, 'stopOnFirst' | 'firstOfEachKind'>,
  reconciled?: Reconciled<F>,
): { findings: F[]; stats: ExploreStats; verdict: Verdict } {
  const stopOnFirst = opts.stopOnFirst ?? true;
  const findings: F[] = [];
  const add = (f: F) => {
    if (opts.firstOfEachKind === true && findings.some((g) => g.kind === f.kind)) return;
    findings.push(f);
  };
  let schedules = 0;
  let steps = 0;
  let preemptions = 0;
  let maxPreemptions = 0;
  let shrinkRuns = 0;
  let firstFindingAt = 0;
  let bounded = plan.cut;
  const states = new Set<string>();
  const metrics = new Map<string, number>();
  for (const k of r.taken) {
    const p = parts.get(k)!;
    if (firstFindingAt === 0 && p.firstFindingAt > 0) firstFindingAt = schedules + p.firstFindingAt;
    schedules += p.schedules;
    steps += p.steps;
    preemptions += p.preemptions;
    if (p.maxPreemptions > maxPreemptions) maxPreemptions = p.maxPreemptions;
    shrinkRuns += p.shrinkRuns;
    for (const s of p.states) states.add(s);
    for (const [m, v] of Object.entries(p.metrics)) if (!(v <= (metrics.get(m) ?? -Infinity))) metrics.set(m, v);
    for (const f of p.findings) add(f);
    if (typeof p.bound === 'number') bounded = true;
  }
  if (reconciled !== undefined && !(stopOnFirst && findings.length > 0)) {
    for (const f of reconciled.findings) add(f);
    shrinkRuns += reconciled.shrinkRuns;
  }
  // As one exploration says it: complete when every item was, unless a finding
  // stopped it; a proof when complete and clean.
  const complete = plan.exhaustive && r.complete && !(stopOnFirst && findings.length > 0);
  const proved = complete && findings.length === 0;
  const bound = bounded ? plan.bound : null;
  const deeper = plan.deepest === undefined ? '' : ` to ${plan.deepest}`;
  const how = plan.items[0]!.kind === 'prefix' ? `prefixes of ${plan.depth}${deeper} choice point${plan.depth === 1 && deeper === '' ? '' : 's'}` : 'seed ranges';
  const stats: ExploreStats = {
    schedules,
    steps,
    preemptions,
    maxPreemptions,
    terminalStates: states.size,
    ...Object.fromEntries(metrics),
    ...(firstFindingAt > 0 ? { firstFindingAt } : {}),
    split: `${plan.items.length} items (${how}), ${r.taken.length} counted`,
    ...(reconciled !== undefined ? { reconciled: reconciled.runs } : {}),
    ...(shrinkRuns > 0 ? { shrinkRuns } : {}),
    ...(complete ? { complete: bound === null ? 'yes' : `within preemption bound ${bound}` } : {}),
  };
  const verdict: Verdict = findings.length > 0 ? { class: 'found', schedules } : proved ? { class: 'proved', schedules, bound } : { class: 'sampled', schedules };
  return { findings, stats, verdict };
}

/** How a part is run. */
export interface PartOptions {
  /** The most schedules it may run (default: its item's budget). */
  readonly cap?: number;
  /** A cap that may shrink while it runs (a coordinator lowers it as earlier parts
   * finish, to 0 to stop it). */
  readonly liveCap?: () => number;
}

/** Explores item `k` of `plan`: the exploration `explore(program, opts)` would
 * make, restricted to the item, findings shrunk. */
export async function explorePart(program: Program, opts: ExploreOptions, plan: SplitPlan, k: number, po: PartOptions = {}): Promise<PartResult> {
  const item = plan.items[k]!;
  const cap = Math.min(plan.budgets[k]!, po.cap ?? Infinity);
  const so = { ...strategyOptions(opts, program) };
  const strategy =
    item.kind === 'whole'
      ? strategyFor(program, opts)
      : createStrategy(plan.strategy, item.kind === 'prefix' ? { ...so, prefix: item.prefix } : { ...so, seed: item.seed });
  const o: ExploreOptions = { ...opts, schedules: cap, witnesses: true, ...(po.liveCap === undefined ? {} : { cap: po.liveCap }) };
  const d = new Exploration(program, o);
  await strategy.explore(d);
  await finishFindings(program, d, o);
  const stats = d.stats();
  const w = d.witnesses();
  return {
    item: k,
    cap,
    schedules: stats.schedules,
    exhausted: d.provedBound !== undefined,
    ...(d.provedBound !== undefined ? { bound: d.provedBound } : {}),
    found: d.findings.length > 0,
    findings: d.findings,
    steps: stats.steps,
    preemptions: stats.preemptions,
    maxPreemptions: stats.maxPreemptions,
    firstFindingAt: d.firstFailure,
    shrinkRuns: typeof stats.shrinkRuns === 'number' ? stats.shrinkRuns : 0,
    metrics: Object.fromEntries(d.metrics()),
    states: [...d.terminalStates()].map((s) => hashText(s)),
    witnesses: 'witnesses' in w ? w.witnesses : [],
  };
}

/** Replays the witnesses of the parts, in order, in one exploration: what their
 * cross-schedule state finds once it is all together. Findings are shrunk. */
export async function reconcile(program: Program, opts: ExploreOptions, witnesses: readonly Witness[]): Promise<Reconciled> {
  const { cap: _, stopWhen: __, ...rest } = opts;
  const d = new Exploration(program, { ...rest, schedules: Number.MAX_SAFE_INTEGER });
  let runs = 0;
  for (const w of witnesses) {
    if (!d.more()) break;
    await d.runSchedule(followSchedule(w.schedule, true), w.params);
    runs++;
  }
  await finishFindings(program, d, opts);
  const s = d.stats().shrinkRuns;
  return { findings: d.findings, runs, shrinkRuns: typeof s === 'number' ? s : 0 };
}

export interface SplitOptions {
  /** Items to aim at (default SPLIT_TARGET). */
  readonly target?: number;
  /** Which of the items that can still count runs next (default: the first), under
   * the cap the parts in so far allow: a test's stand-in for parallel workers
   * finishing in any order. */
  readonly pick?: (candidates: readonly number[]) => number;
}

/** Explores `program` split into items, one after another in this process: what the
 * sweep's --split gives on any number of workers and machines. With one item it is
 * `explore` itself. */
export async function exploreSplit(program: Program, opts: ExploreOptions = {}, so: SplitOptions = {}): Promise<ExploreResult & { readonly plan: SplitPlan }> {
  const plan = await planSplit(program, opts, so.target);
  if (plan.items.length === 1) return { ...(await explore(program, opts)), plan };
  const stopOnFirst = opts.stopOnFirst ?? true;
  const parts = new Map<number, PartResult>();
  for (;;) {
    const r = resolveParts(plan, parts, stopOnFirst);
    if (r.state === 'rerun') {
      parts.set(r.item, await explorePart(program, opts, plan, r.item, { cap: r.cap }));
      continue;
    }
    if (r.state === 'error') throw new Error(`item ${r.item} failed`);
    if (r.state === 'done') {
      const ws = witnessesToReconcile(parts, r.taken, stopOnFirst);
      const reconciled = ws === null ? undefined : await reconcile(program, opts, ws);
      return { ...mergeParts(plan, parts, r, opts, reconciled), plan };
    }
    const candidates = plan.items.map((_, k) => k).filter((k) => !parts.has(k) && relevant(plan, parts, k, stopOnFirst));
    const k = so.pick === undefined ? r.waiting : so.pick(candidates);
    if (!candidates.includes(k)) throw new Error(`pick chose item ${k}, not one of ${candidates.join(', ')}`);
    parts.set(k, await explorePart(program, opts, plan, k, { cap: capFor(plan, parts, k) }));
  }
}
