import type { ChoicePoint, Chooser, Run } from '../run.ts';
import type { Op } from '../types.ts';

/** Bits of the coverage map: 2^22 control states, 512 KiB. */
const MAP_BITS = 22;
/** Schedules kept for their prefixes at most; a newcomer then replaces one at random. */
const MAX_ENTRIES = 4096;

/** Run this many schedules from scratch before any replays a prefix; then the share
 * that does grows with the schedules run (see `guidance`). */
export const WARM_UP = 128;

/** A schedule kept because it reached a control state no earlier one had: its
 * choices, and the step at which it first did. */
interface Entry {
  readonly choices: Uint16Array;
  readonly at: number;
}

/** What one run does with the corpus: the chooser to run it with, and `done` to
 * call with the finished run. */
export interface Guided {
  readonly chooser: Chooser;
  /** Whether the run followed a kept prefix. */
  readonly replayed: boolean;
  done(run: Run): void;
}

/** The share of schedules that start from a kept prefix after `n` schedules: none
 * for the first `WARM_UP`, so that a shallow bug is sought by the plain samplers;
 * then 1/4 at 2x WARM_UP, 1/2 at 4x, and 3/4 from 8x on. */
export function guidance(n: number): number {
  if (n < WARM_UP) return 0;
  return 0.75 * Math.min(1, Math.log2(n / WARM_UP) / 3);
}

/**
 * Coverage-guided reuse of schedule prefixes, as greybox fuzzers reuse inputs
 * (for schedules: Wolff et al., "Greybox Fuzzing for Concurrency Testing", ASPLOS
 * 2024, with reads-from pairs where this uses control states). The coverage is the
 * control state at each choice point: every live thread's next operation (kind and
 * object), hashed into a bitmap as AFL does. A run that reaches a state no earlier
 * run reached is kept; a later run may follow a kept run's choices up to some step
 * at or after the one where that run first reached its new state, then let its own
 * sampler choose. A bug that needs several unlikely steps in a row is then found a
 * stage at a time: each stage, once reached, is kept, and the search goes on from
 * there instead of from the start. Everything is drawn from `rng`, so the schedules
 * stay a function of the seed; a finding's schedule is recorded like any other.
 */
export class Corpus {
  private readonly map = new Uint32Array(1 << (MAP_BITS - 5));
  private readonly entries: Entry[] = [];
  private readonly ops = new WeakMap<Op, number>();
  private readonly names = new Map<string, number>();
  /** Runs taken in, and control states covered. */
  runs = 0;
  states = 0;

  get size(): number {
    return this.entries.length;
  }

  /** A small number naming an operation's kind and object. */
  private opId(op: Op): number {
    let id = this.ops.get(op);
    if (id === undefined) {
      const key = op.obj === undefined ? op.kind : `${op.kind}\u0000${op.obj}`;
      id = this.names.get(key);
      if (id === undefined) this.names.set(key, (id = this.names.size + 1));
      this.ops.set(op, id);
    }
    return id;
  }

  /** Marks the control state of `run` covered; true if it was new. */
  private cover(run: Run): boolean {
    let h = 0x811c9dc5;
    for (const t of run.threads) {
      h = Math.imul(h ^ (t.state === 'done' ? 0 : this.opId(t.pending)), 0x01000193);
      h = Math.imul(h ^ t.id, 0x01000193);
    }
    h = (h ^ (h >>> 15)) >>> (32 - MAP_BITS);
    const word = h >>> 5;
    const bit = 1 << (h & 31);
    if ((this.map[word]! & bit) !== 0) return false;
    this.map[word]! |= bit;
    this.states++;
    return true;
  }

  /**
   * Sets up one run: with probability `share` (and a non-empty corpus) it follows a
   * kept prefix, cut at a uniform step from the one after that schedule's first new
   * state to its end, then `inner` chooses (the prefix is followed as long as it
   * fits: a thread it names that cannot run hands over to `inner`).
   */
  guide(inner: Chooser, rng: () => number, share: number): Guided {
    let prefix: Uint16Array | null = null;
    let cut = 0;
    if (this.entries.length > 0 && share > 0 && rng() < share) {
      const e = this.entries[Math.floor(rng() * this.entries.length)]!;
      prefix = e.choices;
      cut = e.at + 1 + Math.floor(rng() * (prefix.length - e.at));
    }
    let at = -1;
    let following = prefix !== null;
    const chooser: Chooser = (cp: ChoicePoint) => {
      if (this.cover(cp.run) && at < 0) at = cp.step;
      if (following) {
        if (cp.step < cut) {
          const want = prefix![cp.step]!;
          const en = cp.enabled;
          for (let i = 0; i < en.length; i++) if (en[i]!.id === want) return i;
        }
        following = false;
      }
      return inner(cp);
    };
    return {
      chooser,
      replayed: prefix !== null,
      done: (run: Run) => {
        this.runs++;
        if (at < 0) return;
        const e: Entry = { choices: Uint16Array.from(run.choices), at };
        if (this.entries.length < MAX_ENTRIES) this.entries.push(e);
        else this.entries[Math.floor(rng() * MAX_ENTRIES)] = e;
      },
    };
  }
}
