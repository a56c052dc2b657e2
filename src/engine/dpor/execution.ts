import { hashText } from '../hash.ts';
import type { Run } from '../run.ts';
import type { Footprint } from '../types.ts';
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
  // What a thread left waiting would do is its point's declared footprint (a blocked
  // lock, say); one that could still run was cut off, and its step may touch anything.
  const pending = (t: (typeof run.threads)[number]): readonly Footprint[] | null => {
    if (t.state === 'done') return null;
    return run.cutShort && run.isEnabled(t) ? [...footprintOf(t.pending), ANY_WRITE] : footprintOf(t.pending);
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
  /** Per step, the last conflicting step of every other thread: the trace's shape. */
  private readonly shape: string[];
  /** Each thread's steps, in order. */
  readonly stepsOf: number[][];
  /** Threads each step disabled. */
  readonly disabled: number[][];
  /** Accesses of each key, by thread: the latest conflicting one of a thread
   * dominates its earlier ones, so backward scans stop there. */
  private readonly byKey = new Map<string, Array<Array<{ step: number; f: Footprint }>>>();

  constructor(readonly ex: Execution) {
    const T = ex.threads;
    this.local = new Int32Array(ex.steps);
    this.vc = [];
    this.shape = [];
    const count = new Int32Array(T);
    const lastStep = new Int32Array(T).fill(-1);
    const byKey = this.byKey;
    const disabledBy: number[][] = Array.from({ length: T }, () => []);
    this.stepsOf = Array.from({ length: T }, () => []);
    this.disabled = [];
    for (let j = 0; j < ex.steps; j++) {
      const t = ex.tid[j]!;
      this.stepsOf[t]!.push(j);
      this.local[j] = count[t]++;
      const p = lastStep[t]!;
      const vc = p >= 0 ? this.vc[p]!.slice() : new Int32Array(T).fill(-1);
      const lastConf = new Int32Array(T).fill(-1);
      const join = (i: number) => {
        const o = this.vc[i]!;
        for (let k = 0; k < T; k++) if (o[k]! > vc[k]!) vc[k] = o[k]!;
      };
      for (const i of disabledBy[t]!) join(i);
      disabledBy[t]!.length = 0;
      for (const f of ex.fp[j]!) {
        for (const perThread of this.accessesClashingWith(f)) {
          for (let u = 0; u < T; u++) {
            const list = perThread[u];
            if (u === t || list === undefined) continue;
            for (let k = list.length - 1; k >= 0 && this.local[list[k]!.step]! > lastConf[u]!; k--) {
              if (!clash(list[k]!.f, f)) continue;
              join(list[k]!.step);
              lastConf[u] = this.local[list[k]!.step]!;
            }
          }
        }
      }
      vc[t] = this.local[j]!;
      this.vc.push(vc);
      this.shape.push(lastConf.join(','));
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
    const T = this.ex.threads;
    // Each thread's first step of notdep(i), or -1: a thread's steps that do not
    // happen after i are a prefix of its steps after i.
    const first = new Int32Array(T).fill(-1);
    for (let u = 0; u < T; u++) {
      const f = firstAfter(this.stepsOf[u]!, i);
      if (f >= 0 && !this.before(i, f) && !(u === q && f >= j)) first[u] = f;
    }
    const clockOf = (c: number): Int32Array => (c < this.ex.steps ? this.vc[c]! : this.pendingClock(q));
    const out: number[] = [];
    for (let u = 0; u < T; u++) {
      const c = first[u]! >= 0 ? first[u]! : u === q ? j : -1;
      if (c < 0) continue;
      const vc = clockOf(c);
      let initial = true;
      for (let w = 0; w < T && initial; w++) if (w !== u && first[w]! >= 0 && first[w]! < c && vc[w]! >= this.local[first[w]!]!) initial = false;
      if (initial) out.push(u);
    }
    return out;
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
  traceKey(ops: readonly string[]): string {
    const per: string[][] = Array.from({ length: this.ex.threads }, () => []);
    for (let j = 0; j < this.ex.steps; j++) per[this.ex.tid[j]!]!.push(`${ops[j]}@${this.shape[j]}`);
    return hashText(per.map((p) => p.join(';')).join('|'));
  }
}

/** Threads other than the one that ran step i that were enabled before it and not after. */
export function disablees(ex: Execution, i: number): number[] {
  const after = ex.en[i + 1];
  if (after === null || after === undefined) return [];
  return ex.en[i]!.filter((q) => q !== ex.tid[i] && !after.includes(q));
}

/**
 * The races of an execution (Flanagan and Godefroid's rule, with the pending
 * operation of every thread, blocked ones included, at every state): for each
 * thread q and each state before `limit`, the last step by another thread that
 * conflicts with q's next operation, or disables q, and does not happen before q.
 * Calls `race(i, q, j)`: q's operation at position j (j = steps when it is still
 * pending at the end) should be tried before step i.
 */
export function forEachRace(ex: Execution, hb: HappensBefore, limit: number, race: (i: number, q: number, j: number) => void): void {
  for (let q = 0; q < ex.threads; q++) {
    let prev = -1;
    const next = [...hb.stepsOf[q]!, ...(ex.last[q] !== null ? [ex.steps] : [])];
    for (const j of next) {
      if (prev + 1 > limit) break;
      const pending = j < ex.steps ? ex.fp[j]! : ex.last[q]!;
      // Just after q's previous step: the last conflicting step not ordered before it.
      const last = prev >= 0 ? hb.lastRacing(q, prev, pending) : -1;
      if (last >= 0) race(last, q, j);
      // Every later state adds the step just taken, when it conflicts.
      for (let i = prev + 1; i < Math.min(j, limit); i++) {
        if (conflicts(ex.fp[i]!, pending) || hb.disabled[i]!.includes(q)) race(i, q, j);
      }
      prev = j;
    }
  }
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
