// A sparse map from half-open GFN (or PFN) ranges to values, in the spirit of the
// xarray ranges KVM keeps memory attributes in (virt/kvm/kvm_main.c,
// kvm->mem_attr_array). Memory is proportional to the number of distinct runs,
// never to the size of the address space. A map shared between threads is built with
// the run and a footprint key: its accesses are then recorded by range.
import type { Run as EngineRun } from '../../engine/index.ts';
import { touch_range } from './footprint.ts';
import { piece, piece_hi, piece_lo, value_hash, Z_RUN } from './zobrist.ts';

interface Run<V> {
  lo: number;
  hi: number;
  value: V;
}

export interface Piece<V> {
  readonly lo: number;
  readonly hi: number;
  /** undefined where nothing is stored. */
  readonly value: V | undefined;
}

export class interval_map<V> {
  /** Disjoint runs sorted by `lo`; adjacent runs with equal values are merged. */
  private runs: Run<V>[] = [];
  /** Zobrist hash (zobrist.ts) of the runs, for kvm_state_hash(): a function of what
   * entries() returns, kept up to date by set(). */
  z_lo = 0;
  z_hi = 0;

  constructor(private readonly tracked?: { readonly run: EngineRun; readonly key: string }) {}

  /** Records an access of [lo, hi) (or of everything). */
  private touch(access: 'read' | 'write', lo = -Infinity, hi = Infinity): void {
    if (this.tracked !== undefined) touch_range(this.tracked.run, this.tracked.key, access, lo, hi);
  }

  /** Number of runs: a read of the whole map. */
  get size(): number {
    this.touch('read');
    return this.runs.length;
  }

  /** Index of the first run whose `hi` is above `x`. */
  private first_above(x: number): number {
    let lo = 0;
    let hi = this.runs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.runs[mid]!.hi <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get(x: number): V | undefined {
    this.touch('read', x, x + 1);
    const r = this.runs[this.first_above(x)];
    return r !== undefined && r.lo <= x ? r.value : undefined;
  }

  /** Stores `value` over [lo, hi); `undefined` erases. */
  set(lo: number, hi: number, value: V | undefined): void {
    if (hi <= lo) return;
    // Merging with the neighbours changes how runs are cut, not a value outside [lo, hi).
    this.touch('write', lo, hi);
    const i = this.first_above(lo);
    let j = i;
    const keep: Run<V>[] = [];
    while (j < this.runs.length && this.runs[j]!.lo < hi) {
      const r = this.runs[j]!;
      if (r.lo < lo) keep.push({ lo: r.lo, hi: lo, value: r.value });
      if (r.hi > hi) keep.push({ lo: hi, hi: r.hi, value: r.value });
      j++;
    }
    const mid = value === undefined ? [] : [{ lo, hi, value }];
    const before = keep.filter((r) => r.lo < lo);
    const after = keep.filter((r) => r.lo >= hi);
    // Only runs [i - 1, j + 1) change (merging reaches one run either side): their
    // hashes go out before and the new runs' in after.
    const from = Math.max(0, i - 1);
    const old_to = Math.min(this.runs.length, j + 1);
    this.z_runs(from, old_to);
    const old_len = this.runs.length;
    this.runs.splice(i, j - i, ...before, ...mid, ...after);
    this.merge_around(from, i + before.length + mid.length + after.length + 1);
    this.z_runs(from, old_to + this.runs.length - old_len);
  }

  /** XORs the hashes of runs [from, to) into the map's. */
  private z_runs(from: number, to: number): void {
    for (let k = from; k < to; k++) {
      const r = this.runs[k]!;
      piece(Z_RUN, r.lo, r.hi, value_hash(r.value));
      this.z_lo ^= piece_lo;
      this.z_hi ^= piece_hi;
    }
  }

  private merge_around(from: number, to: number): void {
    for (let k = Math.min(to, this.runs.length - 1); k > from; k--) {
      const a = this.runs[k - 1]!;
      const b = this.runs[k]!;
      if (a.hi === b.lo && a.value === b.value) {
        a.hi = b.hi;
        this.runs.splice(k, 1);
      }
    }
  }

  /** The runs and gaps covering [lo, hi), in order. */
  pieces(lo: number, hi: number): IterableIterator<Piece<V>> {
    return new pieces_walk(this, lo, hi);
  }

  /** pieces_walk's start: the read of [lo, hi), and the index of the first run it
   * looks at. */
  walk_start(lo: number, hi: number): number {
    this.touch('read', lo, hi);
    return this.first_above(lo);
  }

  /** pieces_walk's look at run `i`, as it is now; undefined past the last. */
  walk_run(i: number): Readonly<Run<V>> | undefined {
    return this.runs[i];
  }

  /** The first point of [lo, hi) whose value is not `value` (gaps hold undefined),
   * or -1: a read of [lo, hi), as pieces(lo, hi) is, without allocating. */
  first_other(lo: number, hi: number, value: V | undefined): number {
    this.touch('read', lo, hi);
    let x = lo;
    for (let i = this.first_above(lo); i < this.runs.length && x < hi; i++) {
      const r = this.runs[i]!;
      if (r.lo >= hi) break;
      if (r.lo > x && value !== undefined) return x;
      if (r.value !== value) return Math.max(x, r.lo);
      x = Math.min(hi, r.hi);
    }
    return x < hi && value !== undefined ? x : -1;
  }

  /** The value at `x`, not recorded: for messages about what was read already. */
  peek(x: number): V | undefined {
    const r = this.runs[this.first_above(x)];
    return r !== undefined && r.lo <= x ? r.value : undefined;
  }

  /** True when every point of [lo, hi) satisfies `pred` (gaps see undefined). */
  every(lo: number, hi: number, pred: (v: V | undefined) => boolean): boolean {
    for (const p of this.pieces(lo, hi)) if (!pred(p.value)) return false;
    return true;
  }

  /** The stored runs, for tests and state hashes: a read of everything. */
  entries(): Array<[number, number, V]> {
    this.touch('read');
    return this.runs.map((r) => [r.lo, r.hi, r.value]);
  }
}

/** Subtracts `cut` ranges from [lo, hi); returns what is left, in order. */
export function range_subtract(lo: number, hi: number, cuts: Iterable<readonly [number, number]>): Array<[number, number]> {
  let left: Array<[number, number]> = [[lo, hi]];
  for (const [a, b] of cuts) {
    const next: Array<[number, number]> = [];
    for (const [x, y] of left) {
      if (b <= x || a >= y) next.push([x, y]);
      else {
        if (a > x) next.push([x, a]);
        if (b < y) next.push([b, y]);
      }
    }
    left = next;
    if (left.length === 0) break;
  }
  return left;
}

/** The walk of interval_map.pieces(): an iterator of its own rather than a generator
 * (each resumption of one costs about as much as the rest of a step to the next
 * piece), doing what the generator did, step for step: the read recorded at the
 * first next(), each run looked at as the map holds it then, and a run whose gap
 * was returned gone on with as it is when the walk resumes. */
class pieces_walk<V> implements IterableIterator<Piece<V>> {
  /** 0: not started; 1: at the loop's head; 2: the gap before `r` returned; 3: done. */
  private state = 0;
  private i = 0;
  private x: number;
  private r: Readonly<Run<V>> | null = null;

  constructor(
    private readonly map: interval_map<V>,
    private readonly lo: number,
    private readonly hi: number,
  ) {
    this.x = lo;
  }

  [Symbol.iterator](): this {
    return this;
  }

  next(): IteratorResult<Piece<V>> {
    const hi = this.hi;
    if (this.state === 0) {
      this.i = this.map.walk_start(this.lo, hi);
      this.state = 1;
    } else if (this.state === 2) {
      this.state = 1;
      return this.run_piece(this.r!);
    }
    if (this.state === 1) {
      const r = this.x < hi ? this.map.walk_run(this.i) : undefined;
      if (r !== undefined && r.lo < hi) {
        if (r.lo > this.x) {
          this.r = r;
          this.state = 2;
          return { value: { lo: this.x, hi: r.lo, value: undefined }, done: false };
        }
        return this.run_piece(r);
      }
      this.state = 3;
      if (this.x < hi) return { value: { lo: this.x, hi, value: undefined }, done: false };
    }
    return { value: undefined, done: true };
  }

  /** The part of run `r` from `x` on, up to `hi`; the walk goes on after it. */
  private run_piece(r: Readonly<Run<V>>): IteratorResult<Piece<V>> {
    const a = Math.max(this.x, r.lo);
    const b = Math.min(this.hi, r.hi);
    this.x = b;
    this.i++;
    return { value: { lo: a, hi: b, value: r.value }, done: false };
  }

  return(): IteratorResult<Piece<V>> {
    this.state = 3;
    return { value: undefined, done: true };
  }
}
