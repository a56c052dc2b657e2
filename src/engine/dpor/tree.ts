import type { Footprint } from '../types.ts';
import { conflicts } from './footprint.ts';

/** A step a sleeping thread would take: what it touches, and the threads it was seen
 * to disable when it ran (an eligibility change no footprint shows). */
export interface Sleeper {
  readonly fp: readonly Footprint[];
  readonly disables: readonly number[];
}

/** Whether a step by `thread` touching `fp` fails to commute with the sleeper's step. */
export function wakes(s: Sleeper, thread: number, fp: readonly Footprint[]): boolean {
  return s.disables.includes(thread) || conflicts(fp, s.fp);
}

/** A thread to try at a node. */
export interface Branch {
  readonly depth: number;
  readonly thread: number;
  /** Sleep set the branch starts with: threads whose next step is covered elsewhere. */
  readonly sleep: Map<number, Sleeper>;
}

/** A state of the exploration tree where the chooser had more than one thread. */
export class Node {
  /** Threads still to try. */
  readonly backtrack = new Set<number>();
  readonly done = new Set<number>();
  /** Siblings explored, with the step each took: later siblings sleep on them. */
  readonly explored = new Map<number, Sleeper>();

  constructor(
    /** Threads the preemption bound lets run here. */
    readonly inBound: readonly number[],
    readonly sleep: ReadonlyMap<number, Sleeper>,
    /** Which explored siblings later siblings may sleep on: all of them without a
     * bound; under a preemption bound only the thread that ran the step before this
     * node (-1 when it cannot go on), see BoundedSleep in dpor.ts. */
    private readonly sleepOn: number | 'all',
    taken: number,
    step: Sleeper,
  ) {
    this.take(taken, step);
  }

  take(thread: number, step: Sleeper): void {
    this.done.add(thread);
    if (this.sleepOn === 'all' || this.sleepOn === thread) this.explored.set(thread, step);
  }

  /** Asks for `q` to be tried here (Flanagan and Godefroid); when the bound or a
   * block keeps it from running, for every thread that may run instead. */
  want(q: number): void {
    if (this.inBound.includes(q)) this.add(q);
    else for (const u of this.inBound) this.add(u);
  }

  /** The source-set rule (Abdulla et al.): one initial of the reversed race
   * suffices, and none is needed when one is already explored or scheduled here. */
  wantOneOf(isInitial: (u: number) => boolean, preferred: number): void {
    const ok = (u: number) => this.inBound.includes(u) && isInitial(u);
    for (const u of this.done) if (ok(u)) return;
    for (const u of this.backtrack) if (ok(u)) return;
    if (ok(preferred)) return this.add(preferred);
    // The lowest-numbered initial the node allows (inBound is in thread order).
    const first = this.inBound.find(ok);
    if (first !== undefined) return this.add(first);
    this.want(preferred);
  }

  private add(u: number): void {
    if (!this.done.has(u)) this.backtrack.add(u);
  }
}

/** The exploration tree along the current schedule: a node per branching step. */
export class Tree {
  nodes: (Node | undefined)[] = [];
  /** Alternatives skipped because their thread was asleep. */
  pruned = 0;

  /** The deepest thread still to try, or null when the tree is exhausted. Removes
   * the nodes below it: the next schedule rebuilds them. */
  next(): Branch | null {
    for (let s = this.nodes.length - 1; s >= 0; s--) {
      const node = this.nodes[s];
      if (node === undefined) continue;
      for (const u of [...node.backtrack].sort((a, b) => a - b)) {
        node.backtrack.delete(u);
        if (node.done.has(u)) continue;
        if (node.sleep.has(u)) {
          this.pruned++;
          continue;
        }
        const sleep = new Map([...node.sleep, ...node.explored]);
        this.nodes.length = s + 1;
        return { depth: s, thread: u, sleep };
      }
    }
    return null;
  }
}
