// refcount_t (include/linux/refcount.h, lib/refcount.c): an atomic count that
// saturates instead of wrapping, and WARNs on the operations that mean a
// use-after-free or a leak. The read-modify-writes are scheduling points on
// `atomic:<name>`; refcount_set() and refcount_read() are plain stores and loads, not
// points, for initialisation and for code (or invariants) that read a stable count.
import { Run, type Footprint } from '../engine/index.ts';
import { warning } from './checks.ts';
import { current } from './task.ts';

/** REFCOUNT_SATURATED: INT_MIN / 2, where a broken count is parked. */
export const REFCOUNT_SATURATED = -0x40000000;

// refcount_t in include/linux/refcount_types.h
export class refcount_t {
  refs: number;
  readonly fp_write: Footprint[];
  /** refcount_read() and refcount_set() are plain accesses, not points: they record
   * these in the running step, so dpor orders them with the counter's changes. */
  readonly read_access: Footprint;
  readonly write_access: Footprint;

  /** REFCOUNT_INIT(n). Counts of one name share a footprint key. */
  constructor(
    readonly name = 'refcount_t',
    n = 0,
  ) {
    const key = `atomic:${name}`;
    this.fp_write = [{ key, access: 'write' }];
    this.read_access = { key, access: 'read' };
    this.write_access = this.fp_write[0]!;
    this.refs = n;
  }
}

/** enum refcount_saturation_type, with the finding kind and message of each. */
const saturation = {
  ADD_NOT_ZERO_OVF: ['refcount-leak', 'saturated; leaking memory'],
  ADD_OVF: ['refcount-leak', 'saturated; leaking memory'],
  ADD_UAF: ['refcount-uaf', 'addition on 0; use-after-free'],
  SUB_UAF: ['refcount-uaf', 'underflow; use-after-free'],
  DEC_LEAK: ['refcount-leak', 'decrement hit 0; leaking memory'],
} as const;

// refcount_warn_saturate() in lib/refcount.c
function refcount_warn_saturate(r: refcount_t, type: keyof typeof saturation): void {
  r.refs = REFCOUNT_SATURATED;
  const [kind, what] = saturation[type];
  const t = current();
  const f = warning(t, kind, 'lib/refcount.c refcount_warn_saturate', `refcount_t: ${what} (${r.name}, in ${t.comm})`, [`refcount_t: ${what}.`]);
  t.k.report({ ...f, details: { ...f.details, refcount: r.name } });
}

/** One atomic read-modify-write of the count. */
async function step<R>(r: refcount_t, op: string, fn: () => R): Promise<R> {
  await current().k.run.point({ kind: op, obj: r.name, footprint: r.fp_write });
  return fn();
}

// refcount_set() in include/linux/refcount.h
export function refcount_set(r: refcount_t, n: number): void {
  Run.live?.touch(r.write_access);
  r.refs = n;
}

// refcount_read() in include/linux/refcount.h
export function refcount_read(r: refcount_t): number {
  Run.live?.touch(r.read_access);
  return r.refs;
}

// refcount_inc() in include/linux/refcount.h (__refcount_add()).
export const refcount_inc = (r: refcount_t): Promise<void> =>
  step(r, 'refcount_inc', () => {
    const old = r.refs++;
    if (old === 0) refcount_warn_saturate(r, 'ADD_UAF');
    else if (old < 0 || old >= 0x7fffffff) refcount_warn_saturate(r, 'ADD_OVF');
  });

// refcount_inc_not_zero() in include/linux/refcount.h: false when it was 0.
export const refcount_inc_not_zero = (r: refcount_t): Promise<boolean> =>
  step(r, 'refcount_inc_not_zero', () => {
    const old = r.refs;
    if (old === 0) return false;
    r.refs = old + 1;
    if (old < 0) refcount_warn_saturate(r, 'ADD_NOT_ZERO_OVF');
    return true;
  });

// refcount_dec_and_test() in include/linux/refcount.h: true when it reached 0.
export const refcount_dec_and_test = (r: refcount_t): Promise<boolean> =>
  step(r, 'refcount_dec_and_test', () => {
    const old = r.refs--;
    if (old === 1) return true;
    if (old <= 0) refcount_warn_saturate(r, 'SUB_UAF');
    return false;
  });

// refcount_dec() in include/linux/refcount.h: must not reach 0.
export const refcount_dec = (r: refcount_t): Promise<void> =>
  step(r, 'refcount_dec', () => {
    const old = r.refs--;
    if (old === 1) refcount_warn_saturate(r, 'DEC_LEAK');
    else if (old <= 0) refcount_warn_saturate(r, 'SUB_UAF');
  });
