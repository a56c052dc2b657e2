import type { Run } from '../run.ts';
import type { Footprint, Op } from '../types.ts';
import { ANY_KEY, ANY_WRITE, clash, conflicts, footprintOf } from './footprint.ts';

/** One finished schedule as DPOR reads it: who ran each step, what it touched, and
 * who could have run instead. */
export interface Execution {
  readonly steps: number;
  readonly threads: number;
  /** Thread id of each step. */
  readonly tid: readonly number[];
  readonly fp: readonly (readonly Footprint[])[];
  /** Threads enabled at each state 0..steps; the last is null when the run was cut
   * short (by a finding) and so is unknown. */
  readonly en: readonly (readonly number[] | null)[];
  /** Each thread's pending operation at the end, or null when it finished. */
  readonly last: readonly (readonly Footprint[] | null)[];
}

/** Reads a finished run. `branching[s]` holds the enabled threads of each step at
 * which the chooser was asked; at every other step only the thread that ran was. */
export function executionOf(run: Run, branching: readonly (readonly number[] | undefined)[]): Execution {
  const n = run.step;
  const tid = run.choices.slice(0, n);
  const en: (readonly number[] | null)[] = [];
  for (let s = 0; s < n; s++) en.push(branching[s] ?? [tid[s]!]);
  // A run ends with nobody enabled unless it was cut short; then who could run is unknown.
  en.push(run.cutShort ? null : []);
  // What a thread left waiting at a deadlock would do is its point's declared
  // footprint (a blocked lock, say); when the run was cut short, what any unfinished
  // thread would have gone on to do is unknown, and may touch anything.
  const pending = (t: (typeof run.threads)[number]): readonly Footprint[] | null => {
    if (t.state === 'done') return null;
    return run.cutShort ? [...footprintOf(t.pending), ANY_WRITE] : footprintOf(t.pending);
  };
  return {
    steps: n,
    threads: run.threads.length,
    tid,
    fp: run.footprints !== null ? run.footprints.slice(0, n) : run.ops.slice(0, n).map(footprintOf),
    en,
    last: run.threads.map(pending),
  };
}

/** Happens-before of an execution: program order, conflicting footprints, and a
 * step that disabled another thread before that thread's next step. */
export class HappensBefore {
  /** Index of each step within its thread. */
  readonly local: Int32Array;
  /** Per step, the last step index (within each thread) that happens before it. */
  private readonly vc: Int32Array[];
  /** Per step, the last conflicting step of each other thread it conflicts with, as
   * flat (thread, local index) pairs: the trace's shape. */
  private readonly shape: number[][];
  /** Each thread's first step after i that does not happen after i, by i (initials()). */
  private readonly firstCache = new Map<number, Int32Array>();
  /** Each thread's steps, in order. */
  readonly stepsOf: number[][];
  /** Threads each step disabled. */
  readonly disabled: number[][];
  /** Accesses of each key, by thread: the latest conflicting one of a thread
   * dominates its earlier ones, so backward scans stop there. */
  private readonly byKey: Map<string, Array<Array<{ step: number; f: Footprint }>>>;

  /**
   * With `base`, the happens-before of an earlier execution that shares this one's
   * first `from` steps (a dpor schedule replays its prefix): those steps' clocks are
   * taken over and only the rest is computed. `base` is consumed (its access lists
   * are cut back and reused).
   */
  constructor(
    readonly ex: Execution,
    base?: { readonly hb: HappensBefore; readonly from: number },
  ) {
    const T = ex.threads;
    const reuse = base !== undefined && base.from > 0 && base.hb.ex.threads === T && base.from <= Math.min(base.hb.ex.steps, ex.steps);
    const from = reuse ? base.from : 0;
    this.local = new Int32Array(ex.steps);
    const count = new Int32Array(T);
    const lastStep = new Int32Array(T).fill(-1);
    const disabledBy: number[][] = Array.from({ length: T }, () => []);
    if (reuse) {
      const old = base.hb;
      this.local.set(old.local.subarray(0, from));
      this.vc = old.vc.slice(0, from);
      this.shape = old.shape.slice(0, from);
      this.disabled = old.disabled.slice(0, from);
      this.stepsOf = old.stepsOf.map((steps) => {
        let n = steps.length;
        while (n > 0 && steps[n - 1]! >= from) n--;
        steps.length = n;
        return steps;
      });
      for (const perThread of old.byKey.values()) {
        for (const list of perThread) {
          if (list === undefined) continue;
          while (list.length > 0 && list[list.length - 1]!.step >= from) list.pop();
        }
      }
      this.byKey = old.byKey;
      for (let u = 0; u < T; u++) {
        const steps = this.stepsOf[u]!;
        count[u] = steps.length;
        lastStep[u] = steps.length > 0 ? steps[steps.length - 1]! : -1;
      }
      // Disablings still waiting for the disabled thread's next step.
      for (let i = 0; i < from; i++) for (const q of this.disabled[i]!) if (i > lastStep[q]!) disabledBy[q]!.push(i);
    } else {
      this.vc = [];
      this.shape = [];
      this.disabled = [];
      this.stepsOf = Array.from({ length: T }, () => []);
      this.byKey = new Map();
    }
    const byKey = this.byKey;
    // Per step, the last conflicting step (local index) of each thread; reset after use.
    const lastConf = new Int32Array(T).fill(-1);
    const cands: number[] = [];
    const NONE = new Int32Array(T).fill(-1);
    for (let j = from; j < ex.steps; j++) {
      const t = ex.tid[j]!;
      this.stepsOf[t]!.push(j);
      this.local[j] = count[t]++;
      const p = lastStep[t]!;
      const vc = (p >= 0 ? this.vc[p]! : NONE).slice();
      for (const i of disabledBy[t]!) joinInto(vc, this.vc[i]!);
      disabledBy[t]!.length = 0;
      // The conflicting steps, latest first: one that already happens before a later
      // one adds nothing to the clock (with many threads on one key, most do not).
      cands.length = 0;
      for (const f of ex.fp[j]!) {
        if (f.key === ANY_KEY) for (const perThread of byKey.values()) this.conflictsIn(perThread, f, t, lastConf, cands);
        else {
          const own = byKey.get(f.key);
          if (own !== undefined) this.conflictsIn(own, f, t, lastConf, cands);
          const any = byKey.get(ANY_KEY);
          if (any !== undefined) this.conflictsIn(any, f, t, lastConf, cands);
        }
      }
      if (cands.length > 1) cands.sort((a, b) => b - a);
      const conf: number[] = [];
      for (const i of cands) {
        const u = ex.tid[i]!;
        if (lastConf[u]! >= 0) {
          conf.push(u, lastConf[u]!);
          lastConf[u] = -1;
        }
        if (vc[u]! < this.local[i]!) joinInto(vc, this.vc[i]!);
      }
      vc[t] = this.local[j]!;
      this.vc.push(vc);
      this.shape.push(conf);
      for (const f of ex.fp[j]!) {
        let perThread = byKey.get(f.key);
        if (perThread === undefined) byKey.set(f.key, (perThread = []));
        (perThread[t] ??= []).push({ step: j, f });
      }
      const dis = disablees(ex, j);
      this.disabled.push(dis);
      for (const q of dis) disabledBy[q]!.push(j);
      lastStep[t] = j;
    }
  }

  /** Adds to `cands` the latest access of each other thread in `perThread` that
   * clashes with `f`, newer than what `lastConf` already holds for that thread. */
  private conflictsIn(perThread: Array<Array<{ step: number; f: Footprint }>>, f: Footprint, t: number, lastConf: Int32Array, cands: number[]): void {
    for (let u = 0; u < perThread.length; u++) {
      const list = perThread[u];
      if (u === t || list === undefined) continue;
      for (let k = list.length - 1; k >= 0 && this.local[list[k]!.step]! > lastConf[u]!; k--) {
        if (!clash(list[k]!.f, f)) continue;
        cands.push(list[k]!.step);
        lastConf[u] = this.local[list[k]!.step]!;
      }
    }
  }

  /** The per-thread access lists a footprint may clash with: those of its own key and
   * the wildcard's, or every key's for the wildcard. */
  private accessesClashingWith(f: Footprint): Array<Array<Array<{ step: number; f: Footprint }>>> {
    if (f.key === ANY_KEY) return [...this.byKey.values()];
    const out: Array<Array<Array<{ step: number; f: Footprint }>>> = [];
    const own = this.byKey.get(f.key);
    if (own !== undefined) out.push(own);
    const any = this.byKey.get(ANY_KEY);
    if (any !== undefined) out.push(any);
    return out;
  }

  /** Whether step i happens before step j. */
  before(i: number, j: number): boolean {
    return this.vc[j]![this.ex.tid[i]!]! >= this.local[i]!;
  }

  /** The last step before `prev` (a step of q) by another thread that conflicts
   * with `fp` and does not happen before `prev`; -1 if none. */
  lastRacing(q: number, prev: number, fp: readonly Footprint[]): number {
    const vc = this.vc[prev]!;
    let best = -1;
    for (const f of fp) {
      for (const perThread of this.accessesClashingWith(f)) {
        for (let u = 0; u < perThread.length; u++) {
          const list = perThread[u];
          if (u === q || list === undefined) continue;
          for (let k = list.length - 1; k >= 0; k--) {
            const a = list[k]!;
            if (a.step <= best || this.local[a.step]! <= vc[u]!) break;
            if (a.step < prev && clash(a.f, f)) {
              best = a.step;
              break;
            }
          }
        }
      }
    }
    return best;
  }

  /**
   * The threads that could go first in `notdep(i).e'` (Abdulla et al., POPL 2014):
   * the steps after i that do not happen after it, then q's operation at position j
   * (j = steps for an operation still pending at the end). A thread is an initial
   * when its first such step has no happens-before predecessor among them.
   */
  initials(i: number, q: number, j: number): number[] {
    const isInitial = this.initialTest(i, q, j);
    const out: number[] = [];
    for (let u = 0; u < this.ex.threads; u++) if (isInitial(u)) out.push(u);
    return out;
  }

  /** Whether a thread is one of initials(i, q, j), asked one thread at a time (each
   * answer costs O(threads), so a caller that needs only a few pays only for them). */
  initialTest(i: number, q: number, j: number): (u: number) => boolean {
    const T = this.ex.threads;
    // Each thread's first step of notdep(i), or -1: a thread's steps that do not
    // happen after i are a prefix of its steps after i.
    let first = this.firstCache.get(i);
    if (first === undefined) {
      first = new Int32Array(T).fill(-1);
      for (let u = 0; u < T; u++) {
        const f = firstAfter(this.stepsOf[u]!, i);
        if (f >= 0 && !this.before(i, f)) first[u] = f;
      }
      this.firstCache.set(i, first);
    }
    const fst = first;
    const firstOf = (u: number): number => (u === q && fst[u]! >= j ? -1 : fst[u]!);
    let pending: Int32Array | null = null;
    const clockOf = (c: number): Int32Array => (c < this.ex.steps ? this.vc[c]! : (pending ??= this.pendingClock(q)));
    return (u: number): boolean => {
      const c = firstOf(u) >= 0 ? firstOf(u) : u === q ? j : -1;
      if (c < 0) return false;
      const vc = clockOf(c);
      for (let w = 0; w < T; w++) {
        const f = firstOf(w);
        if (w !== u && f >= 0 && f < c && vc[w]! >= this.local[f]!) return false;
      }
      return true;
    };
  }

  /** Clock of q's pending operation at the end: its own past and every step it conflicts with. */
  private pendingClock(q: number): Int32Array {
    const T = this.ex.threads;
    const own = this.stepsOf[q]!;
    const vc = own.length > 0 ? this.vc[own[own.length - 1]!]!.slice() : new Int32Array(T).fill(-1);
    const fp = this.ex.last[q];
    if (fp === null || fp === undefined) return vc;
    for (let s = 0; s < this.ex.steps; s++) {
      if (this.ex.tid[s] === q || !conflicts(this.ex.fp[s]!, fp)) continue;
      const o = this.vc[s]!;
      for (let k = 0; k < T; k++) if (o[k]! > vc[k]!) vc[k] = o[k]!;
    }
    return vc;
  }

  /** Identity of the Mazurkiewicz trace: equal for two executions exactly when they
   * order every conflicting pair of steps alike. */
  traceKey(ops: readonly Op[]): string {
    // Two 32-bit hashes per thread of its steps' operations and shapes, folded in
    // thread order: a 64-bit identity, built without strings (it runs per schedule).
    const T = this.ex.threads;
    const h1 = new Uint32Array(T).fill(0x811c9dc5);
    const h2 = new Uint32Array(T).fill(0x9e3779b9);
    const mix = (t: number, x: number) => {
      h1[t] = Math.imul(h1[t]! ^ x, 0x01000193);
      h2[t] = Math.imul(h2[t]! ^ x, 0x5bd1e995) ^ (h2[t]! >>> 15);
    };
    const mixText = (t: number, s: string) => {
      for (let k = 0; k < s.length; k++) mix(t, s.charCodeAt(k));
      mix(t, 0x1f);
    };
    for (let j = 0; j < this.ex.steps; j++) {
      const t = this.ex.tid[j]!;
      mixText(t, ops[j]!.kind);
      if (ops[j]!.obj !== undefined) mixText(t, ops[j]!.obj!);
      for (const x of this.shape[j]!) mix(t, x + 1);
      mix(t, 0x2f);
    }
    let a = 0x811c9dc5;
    let b = 0x9e3779b9;
    for (let t = 0; t < T; t++) {
      a = Math.imul(a ^ h1[t]!, 0x01000193);
      b = Math.imul(b ^ h2[t]!, 0x5bd1e995) ^ (b >>> 13);
    }
    return `${(a >>> 0).toString(16)}${(b >>> 0).toString(16)}`;
  }
}

/** Threads other than the one that ran step i that were enabled before it and not after. */
export function disablees(ex: Execution, i: number): number[] {
  const after = ex.en[i + 1];
  if (after === null || after === undefined) return NO_THREADS;
  const before = ex.en[i]!;
  // Both lists are in ascending thread order (the scheduler lists enabled threads
  // so): one merge walk.
  let out: number[] = NO_THREADS;
  let k = 0;
  for (const q of before) {
    while (k < after.length && after[k]! < q) k++;
    if (q === ex.tid[i] || (k < after.length && after[k] === q)) continue;
    if (out === NO_THREADS) out = [];
    out.push(q);
  }
  return out;
}

const NO_THREADS: number[] = [];

/**
 * The races of an execution (Flanagan and Godefroid's rule, with the pending
 * operation of every thread, blocked ones included, at every state): for each
 * thread q and each state before `limit`, the last step by another thread that
 * conflicts with q's next operation, or disables q, and does not happen before q.
 * Calls `race(i, q, j)`: q's operation at position j (j = steps when it is still
 * pending at the end) should be tried before step i.
 */
export function forEachRace(
  ex: Execution,
  hb: HappensBefore,
  limit: number,
  race: (i: number, q: number, j: number) => void,
  immediate = false,
  /** Steps before this one are a prefix an earlier execution shared and analysed
   * (the node a branch is taken at was grown by a run through the same prefix):
   * races whose later step lies in it are not looked at again. */
  from = 0,
): void {
  const found: number[] = [];
  for (let q = 0; q < ex.threads; q++) {
    let prev = -1;
    const next = [...hb.stepsOf[q]!, ...(ex.last[q] !== null ? [ex.steps] : [])];
    for (const j of next) {
      if (prev + 1 > limit) break;
      if (j < from) {
        prev = j;
        continue;
      }
      const pending = j < ex.steps ? ex.fp[j]! : ex.last[q]!;
      found.length = 0;
      // Every state after q's previous step adds the step just taken, when it
      // conflicts (latest first). With `immediate` (source sets), a conflicting step
      // that happens before a later reversible race (q could have run instead) is no
      // immediate race (Abdulla et al.); a race q could not have reversed (it was
      // blocked) shadows nothing.
      for (let i = Math.min(j, limit) - 1; i > prev; i--) {
        if (hb.disabled[i]!.includes(q)) {
          race(i, q, j);
          continue;
        }
        if (!conflicts(ex.fp[i]!, pending)) continue;
        if (!immediate || !found.some((r) => hb.before(i, r))) race(i, q, j);
        if (ex.en[i]!.includes(q)) found.push(i);
      }
      // Just after q's previous step: the last conflicting step not ordered before it.
      const last = prev >= 0 ? hb.lastRacing(q, prev, pending) : -1;
      if (last >= 0 && (!immediate || !found.some((r) => hb.before(last, r)))) race(last, q, j);
      prev = j;
    }
  }
}

/** Raises each component of `vc` to `o`'s. */
function joinInto(vc: Int32Array, o: Int32Array): void {
  for (let k = 0; k < vc.length; k++) if (o[k]! > vc[k]!) vc[k] = o[k]!;
}

/** The first of the ascending `steps` after i, or -1. */
function firstAfter(steps: readonly number[], i: number): number {
  let lo = 0;
  let hi = steps.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (steps[mid]! > i) hi = mid;
    else lo = mid + 1;
  }
  return lo < steps.length ? steps[lo]! : -1;
}
