import { executionOf, forEachRace, HappensBefore, type Execution } from '../dpor/execution.ts';
import { Node, Tree, wakes, type Branch, type Sleeper } from '../dpor/tree.ts';
import type { ChoicePoint, Run } from '../run.ts';
import type { Driver, Strategy, StrategyOptions } from '../strategy.ts';
import { deepen } from './deepen.ts';
import { dfsStrategy } from './dfs.ts';

/**
 * Exhaustive exploration with dynamic partial-order reduction. Stateless: each
 * schedule reruns the program along a recorded prefix, takes one new branch, then
 * goes on without preempting. Independence comes from step footprints, plus the
 * enabled sets each schedule shows (a step that disables a thread does not commute
 * with it). After each schedule, every race (a step that conflicts with, or
 * disables, another thread's pending operation, blocked threads included) asks for
 * an alternative before that step:
 *
 * - unbounded: source-set DPOR with sleep sets (Abdulla et al., POPL 2014): one of
 *   the threads that could start the reversed race, unless one already is tried
 *   there; a thread asleep (its step covered by an explored sibling) is skipped.
 * - under a preemption bound: the racing thread itself, or every thread that may
 *   run when it cannot (Flanagan and Godefroid, POPL 2005), plus a conservative
 *   alternative at the start of the racing step's block, where switching costs no
 *   extra preemption (Coons, Musuvathi and McKinley, OOPSLA 2013). No source-set
 *   shortcut: another initial may reach the same partial order only with more
 *   preemptions than the bound allows. Sleep sets are kept, restricted so that the
 *   schedule covering a sleeper never needs more preemptions (BoundedSleep below).
 *
 * BoundedSleep. At a node n reached by a step of thread c, let the branch of c (the
 * non-preemptive one) be explored, and a sibling branch u run u·w·c·r, with c's step
 * independent of u·w. The covering schedule c·u·w·r has no more preemptions:
 * u·w·c·r pays for the switch c→u (c could go on), then at most once for each of
 * w→c and c→r; c·u·w·r pays at most once for each of c→u and w→r, and both pay the
 * same inside u·w, since c's step changes no other thread's enabling. So under a
 * bound only c may sleep in its siblings' branches; a sibling other than c moved
 * to the front could cost up to two extra preemptions and is not slept on.
 *
 * Below a fixed prefix (`opts.prefix`, a work item of a split exploration, see
 * split.ts): the first schedule follows the prefix's choices, and no node is made
 * for a step of the prefix, so no alternative is ever asked for above it (a race
 * whose earlier step lies in the prefix, or a block that began there, asks at a node
 * that does not exist and is dropped). Why that loses nothing: the split enumerates
 * every choice the bound allows at each choice point of the prefixes with plain dfs,
 * so at those nodes the backtrack set is already every thread, a superset of
 * whatever a race would have added; the sleep set the residual search starts with
 * is empty, a subset of the one the whole search would have carried down. Below
 * the prefix the races and happens-before are those of the residual program (no
 * step of the suffix happens before another through a prefix step, as prefix steps
 * all come first), so each residual node gets the backtrack set the whole search
 * would give it after the same schedules. Larger backtrack sets and smaller sleep
 * sets only ever add schedules, so the argument that the whole search reaches every
 * partial order within the bound carries over to each residual search.
 */
export function dporStrategy(opts: StrategyOptions): Strategy {
  const bound = opts.preemptions ?? Infinity;
  /** Without recorded footprints for all state, no two steps are known to commute:
   * explore every schedule, as dfs does. */
  const asDfs = (d: Driver, why: string) => {
    d.extra.dpor = `no reduction: ${why}; explored every schedule as dfs`;
    return dfsStrategy(opts).explore(d);
  };
  return {
    name: 'dpor',
    async explore(d: Driver) {
      if (opts.deepen === true) return deepen(d, opts, dporStrategy);
      if (!d.tracked) return asDfs(d, 'the scenario does not declare its state tracked');
      const tree = new Tree();
      const fixed = opts.prefix ?? [];
      /** The first step past the fixed prefix: no node is made above it. */
      let base = 0;
      const classes = new Set<string>();
      let prefix: readonly number[] = [];
      let lastHb: HappensBefore | null = null;
      let branch: Branch | null = null;
      let schedules = 0;
      let blocked = 0;
      // A bound that never cut a choice left every schedule in: that is a full proof.
      let cut = false;
      const onCut = () => {
        cut = true;
        opts.onBoundCut?.();
      };
      const summary = (how: string) => {
        d.extra.equivalenceClasses = classes.size;
        d.extra.pruned = tree.pruned;
        d.extra.sleepBlocked = blocked;
        d.extra.dpor = `explored ${schedules} schedule${schedules === 1 ? '' : 's'} (${tree.pruned} pruned), ${how}`;
      };
      while (d.more()) {
        const sched = new BranchRun(prefix, branch, bound, branch === null ? fixed : []);
        const run = await d.runSchedule(sched.choose, undefined, { footprints: true });
        schedules++;
        // Set-up is deterministic: the first schedule shows whether any state is untracked.
        if (run.untrackedReason !== null) return asDfs(d, `${run.untrackedReason} is not tracked`);
        if (sched.diverged || sched.fixedLeft > 0) throw new Error('dpor: replaying a schedule prefix chose a thread that cannot run: the program is not deterministic');
        if (branch === null) base = sched.fixedEnd;
        const limit = sched.blockedAt >= 0 ? sched.blockedAt : run.step;
        if (sched.blockedAt >= 0) blocked++;
        for (const t of run.threads) if (t.free) sched.free.add(t.id); // also those never offered a choice
        const ex = executionOf(run, sched.branching);
        const depth = branch?.depth ?? -1;
        const hb: HappensBefore = new HappensBefore(ex, lastHb === null ? undefined : { hb: lastHb, from: depth });
        lastHb = hb;
        if (branch !== null) tree.nodes[depth]!.take(branch.thread, sleeperAt(ex, hb, depth));
        grow(tree, ex, hb, sched, Math.max(depth + 1, base), limit, bound, onCut);
        forEachRace(ex, hb, limit, (i, q, j) => {
          if (!Number.isFinite(bound)) return tree.nodes[i]?.wantOneOf(hb.initialTest(i, q, j), q);
          tree.nodes[i]?.want(q);
          let b = i;
          // A free thread's step (a fault injector) does not end the block: switching
          // after it costs what switching before it would (Run.decide()).
          while (b > 0 && (ex.tid[b - 1] === ex.tid[i] || sched.free.has(ex.tid[b - 1]!))) b--;
          if (b < i) tree.nodes[b]?.want(q);
        }, !Number.isFinite(bound), Math.max(depth, base));
        if (sched.blockedAt < 0) classes.add(hb.traceKey(run.ops));
        prefix = ex.tid;
        branch = tree.next();
        if (branch === null) {
          d.exhausted(cut ? bound : undefined);
          return summary(Number.isFinite(bound) ? `complete within preemption bound ${bound}` : 'complete');
        }
      }
      summary('stopped before completion');
    },
  };
}

/** Step s as a sleeper: what it touched and whom it disabled (the happens-before has both). */
const sleeperAt = (ex: Execution, hb: HappensBefore, s: number): Sleeper => ({ fp: ex.fp[s]!, disables: hb.disabled[s]! });

/** Adds a node for each branching step of the new part of a schedule. */
function grow(tree: Tree, ex: Execution, hb: HappensBefore, sched: BranchRun, from: number, limit: number, bound: number, onBoundCut?: () => void): void {
  const tid = ex.tid;
  tree.nodes.length = Math.max(0, from);
  let preemptions = 0;
  // Preemptions are counted against the owner, the last thread that is not free (a
  // fault injector), as Run.decide() counts them; a free thread is always in bound.
  let owner = -1;
  for (let s = 0; s < limit; s++) {
    const en = sched.branching[s];
    const prev = s > 0 ? tid[s - 1]! : -1;
    const prevOn = en !== undefined && en.includes(prev);
    const ownerOn = en !== undefined && en.includes(owner);
    if (s >= from && en !== undefined) {
      const inBound = ownerOn && preemptions >= bound ? en.filter((u) => u === owner || sched.free.has(u)) : en;
      if (inBound.length < en.length) onBoundCut?.();
      const sleepOn = !Number.isFinite(bound) ? 'all' : prevOn ? prev : -1;
      tree.nodes[s] = new Node(inBound, sched.sleepAt[s] ?? new Map(), sleepOn, tid[s]!, sleeperAt(ex, hb, s));
    }
    if (!sched.free.has(tid[s]!)) {
      if (ownerOn && tid[s] !== owner) preemptions++;
      owner = tid[s]!;
    }
  }
}

/** The chooser of one schedule: replays the prefix up to the branch, takes the
 * branch, then runs on without preempting, keeping the sleep set. */
class BranchRun {
  /** Enabled thread ids at each step where the chooser was asked. */
  readonly branching: (readonly number[] | undefined)[] = [];
  /** Ids of the free threads seen (fault injectors: no preemption to switch to). */
  readonly free = new Set<number>();
  /** The sleep set at each such step past the branch. */
  readonly sleepAt: (Map<number, Sleeper> | undefined)[] = [];
  /** First step at which every thread that may run was asleep: the rest repeats
   * an explored schedule. */
  blockedAt = -1;
  diverged = false;
  /** Past the last step the fixed choices chose (0 without any). */
  fixedEnd = 0;
  private readonly sleep: Map<number, Sleeper>;
  private readonly depth: number;
  private lastAsked = -1;
  private calls = 0;

  constructor(
    private readonly prefix: readonly number[],
    private readonly branch: Branch | null,
    private readonly bound: number,
    /** Thread ids chosen at the first choice points (a split's work item). */
    private readonly fixed: readonly number[] = [],
  ) {
    this.depth = branch?.depth ?? -1;
    this.sleep = new Map(branch?.sleep ?? []);
  }

  /** Fixed choices the run never reached. */
  get fixedLeft(): number {
    return Math.max(0, this.fixed.length - this.calls);
  }

  readonly choose = (cp: ChoicePoint): number => {
    const s = cp.step;
    const ids = cp.enabled.map((t) => t.id);
    this.branching[s] = ids;
    for (const t of cp.enabled) if (t.free) this.free.add(t.id);
    if (this.calls < this.fixed.length) {
      this.lastAsked = s;
      this.fixedEnd = s + 1;
      return this.index(ids, this.fixed[this.calls++]!);
    }
    if (s < this.depth) return this.index(ids, this.prefix[s]!);
    if (s > this.depth) this.advance(cp.run, s);
    for (const u of this.sleep.keys()) if (!ids.includes(u)) this.sleep.delete(u);
    this.lastAsked = s;
    if (s === this.depth) return this.index(ids, this.branch!.thread);
    this.sleepAt[s] = new Map(this.sleep);
    // The owner, not the previous thread: a free thread's step costs no preemption.
    const cur = cp.owner === null ? -1 : cp.owner.id;
    const curOn = ids.includes(cur);
    const inBound = curOn && cp.run.preemptions >= this.bound ? ids.filter((u) => u === cur || this.free.has(u)) : ids;
    let pick = -1;
    if (this.blockedAt < 0) {
      pick = inBound.includes(cur) && !this.sleep.has(cur) ? cur : (inBound.find((u) => !this.sleep.has(u)) ?? -1);
      if (pick < 0) this.blockedAt = s;
    }
    if (pick < 0) pick = curOn ? cur : ids[0]!;
    return ids.indexOf(pick);
  };

  /** Updates the sleep set with the steps run since the chooser was last asked: a
   * step that does not commute with a sleeper's wakes it; a step where nobody else
   * could run may have disabled the sleepers, so it wakes them all. */
  private advance(run: Run, s: number): void {
    const last = this.lastAsked;
    if (last < 0) return;
    if (s > last + 1) return this.sleep.clear();
    const t = run.choices[last]!;
    this.sleep.delete(t);
    const f = run.footprints![last]!;
    for (const [u, z] of this.sleep) if (wakes(z, t, f)) this.sleep.delete(u);
  }

  private index(ids: readonly number[], thread: number): number {
    const i = ids.indexOf(thread);
    if (i >= 0) return i;
    this.diverged = true;
    return 0;
  }
}
