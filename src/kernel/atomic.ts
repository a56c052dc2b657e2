// atomic_t and atomic64_t (include/linux/atomic/): each operation is one fully
// ordered scheduling point on `atomic:<name>`.
import type { Footprint, Op } from '../engine/index.ts';
import type { Kernel } from './kernel.ts';
import { key_footprints_of, key_namer } from './shared.ts';
import { spin_lock, spin_unlock, type spinlock_t } from './spinlock.ts';

/** `atomic:<name>`, one string per name (shared.ts). */
const atomic_key = key_namer('atomic:');

abstract class atomic_base {
  private value: number;
  readonly fp_read: readonly Footprint[];
  readonly fp_write: readonly Footprint[];
  /** `atomic` or `atomic64`: the prefix of the trace's operation names. */
  abstract readonly prefix: string;
  /** Each operation's scheduling point, made on first use. */
  private readonly ops = new Map<string, Op>();

  constructor(
    readonly k: Kernel,
    readonly name: string,
    i = 0,
  ) {
    // The key's footprints are the same in every schedule: shared (shared.ts).
    const fp = key_footprints_of(k.unique(atomic_key(name)));
    this.fp_read = fp.read;
    this.fp_write = fp.write;
    this.value = i;
  }

  /** The value; a change calls changed(). */
  get counter(): number {
    return this.value;
  }
  set counter(n: number) {
    const old = this.value;
    this.value = n;
    if (n !== old) this.changed();
  }

  /** Called after the counter changed: a hook for a user that watches one (a
   * subclass, so every atomic keeps the class's hidden class); nothing here. */
  protected changed(): void {}

  /** The value as the type stores it: `int` wraps, `s64` does not here. */
  abstract wrap(i: number): number;

  /** The point of operation `op` (e.g. `inc` for atomic_inc()). */
  point(op: string, write: boolean): Op {
    let p = this.ops.get(op);
    if (p === undefined) this.ops.set(op, (p = { kind: `${this.prefix}_${op}`, obj: this.name, footprint: write ? this.fp_write : this.fp_read }));
    return p;
  }
}

// atomic_t in include/linux/types.h: an int.
export class atomic_t extends atomic_base {
  readonly prefix = 'atomic';
  wrap(i: number): number {
    return i | 0;
  }
}

// atomic64_t in include/linux/types.h: an s64 (exact up to 2^53 here).
export class atomic64_t extends atomic_base {
  readonly prefix = 'atomic64';
  wrap(i: number): number {
    return i;
  }
}

/** One atomic step: the point, then `fn` on the counter. */
async function step<R>(v: atomic_base, op: string, write: boolean, fn: (v: atomic_base) => R): Promise<R> {
  await v.k.run.point(v.point(op, write));
  return fn(v);
}

/** Adds `i` and returns the old value: the core of every read-modify-write. */
function fetch_add(v: atomic_base, i: number): number {
  const old = v.counter;
  v.counter = v.wrap(old + i);
  return old;
}

const read = (v: atomic_base) => step(v, 'read', false, (x) => x.counter);
const set = (v: atomic_base, i: number) => step(v, 'set', true, (x) => void (x.counter = x.wrap(i)));
const add = (i: number, v: atomic_base) => step(v, 'add', true, (x) => void fetch_add(x, i));
const sub = (i: number, v: atomic_base) => step(v, 'sub', true, (x) => void fetch_add(x, -i));
const inc = (v: atomic_base) => step(v, 'inc', true, (x) => void fetch_add(x, 1));
const dec = (v: atomic_base) => step(v, 'dec', true, (x) => void fetch_add(x, -1));
const add_return = (i: number, v: atomic_base) => step(v, 'add_return', true, (x) => x.wrap(fetch_add(x, i) + i));
const inc_return = (v: atomic_base) => step(v, 'inc_return', true, (x) => x.wrap(fetch_add(x, 1) + 1));
const dec_return = (v: atomic_base) => step(v, 'dec_return', true, (x) => x.wrap(fetch_add(x, -1) - 1));
const dec_and_test = (v: atomic_base) => step(v, 'dec_and_test', true, (x) => x.wrap(fetch_add(x, -1) - 1) === 0);
const xchg = (v: atomic_base, i: number) =>
  step(v, 'xchg', true, (x) => {
    const old = x.counter;
    x.counter = x.wrap(i);
    return old;
  });
const cmpxchg = (v: atomic_base, old: number, i: number) =>
  step(v, 'cmpxchg', true, (x) => {
    const cur = x.counter;
    if (cur === old) x.counter = x.wrap(i);
    return cur;
  });
const add_unless = (v: atomic_base, a: number, u: number) =>
  step(v, 'add_unless', true, (x) => {
    if (x.counter === u) return false;
    fetch_add(x, a);
    return true;
  });
const inc_not_zero = (v: atomic_base) =>
  step(v, 'inc_not_zero', true, (x) => {
    if (x.counter === 0) return false;
    fetch_add(x, 1);
    return true;
  });

// atomic_read(), atomic64_read() in include/linux/atomic/atomic-instrumented.h
export const atomic_read: (v: atomic_t) => Promise<number> = read;
export const atomic64_read: (v: atomic64_t) => Promise<number> = read;
// atomic_set(), atomic64_set()
export const atomic_set: (v: atomic_t, i: number) => Promise<void> = set;
export const atomic64_set: (v: atomic64_t, i: number) => Promise<void> = set;
// atomic_add(), atomic64_add(): the amount first, as in the kernel.
export const atomic_add: (i: number, v: atomic_t) => Promise<void> = add;
export const atomic64_add: (i: number, v: atomic64_t) => Promise<void> = add;
// atomic_sub(), atomic64_sub()
export const atomic_sub: (i: number, v: atomic_t) => Promise<void> = sub;
export const atomic64_sub: (i: number, v: atomic64_t) => Promise<void> = sub;
// atomic_inc(), atomic64_inc()
export const atomic_inc: (v: atomic_t) => Promise<void> = inc;
export const atomic64_inc: (v: atomic64_t) => Promise<void> = inc;
// atomic_dec(), atomic64_dec()
export const atomic_dec: (v: atomic_t) => Promise<void> = dec;
export const atomic64_dec: (v: atomic64_t) => Promise<void> = dec;
// atomic_add_return(), atomic64_add_return(): the new value.
export const atomic_add_return: (i: number, v: atomic_t) => Promise<number> = add_return;
export const atomic64_add_return: (i: number, v: atomic64_t) => Promise<number> = add_return;
// atomic_inc_return(), atomic64_inc_return()
export const atomic_inc_return: (v: atomic_t) => Promise<number> = inc_return;
export const atomic64_inc_return: (v: atomic64_t) => Promise<number> = inc_return;
// atomic_dec_return(), atomic64_dec_return()
export const atomic_dec_return: (v: atomic_t) => Promise<number> = dec_return;
export const atomic64_dec_return: (v: atomic64_t) => Promise<number> = dec_return;
// atomic_dec_and_test(), atomic64_dec_and_test(): true when it reached 0.
export const atomic_dec_and_test: (v: atomic_t) => Promise<boolean> = dec_and_test;
export const atomic64_dec_and_test: (v: atomic64_t) => Promise<boolean> = dec_and_test;
// atomic_xchg(), atomic64_xchg(): the old value.
export const atomic_xchg: (v: atomic_t, i: number) => Promise<number> = xchg;
export const atomic64_xchg: (v: atomic64_t, i: number) => Promise<number> = xchg;
// atomic_cmpxchg(), atomic64_cmpxchg(): the old value; stores `i` if it was `old`.
export const atomic_cmpxchg: (v: atomic_t, old: number, i: number) => Promise<number> = cmpxchg;
export const atomic64_cmpxchg: (v: atomic64_t, old: number, i: number) => Promise<number> = cmpxchg;
// atomic_add_unless(), atomic64_add_unless(): adds `a` unless the value is `u`.
export const atomic_add_unless: (v: atomic_t, a: number, u: number) => Promise<boolean> = add_unless;
export const atomic64_add_unless: (v: atomic64_t, a: number, u: number) => Promise<boolean> = add_unless;
// atomic_inc_not_zero(), atomic64_inc_not_zero()
export const atomic_inc_not_zero: (v: atomic_t) => Promise<boolean> = inc_not_zero;
export const atomic64_inc_not_zero: (v: atomic64_t) => Promise<boolean> = inc_not_zero;

// _atomic_dec_and_lock() in lib/dec_and_lock.c: true, with `lock` held, when the
// count reached 0.
export async function atomic_dec_and_lock(v: atomic_t, lock: spinlock_t): Promise<boolean> {
  // Subtract 1 unless that would reach 0 (i.e. it was 1).
  if (await atomic_add_unless(v, -1, 1)) return false;
  await spin_lock(lock);
  if (await atomic_dec_and_test(v)) return true;
  await spin_unlock(lock);
  return false;
}
