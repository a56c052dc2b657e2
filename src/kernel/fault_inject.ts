// The kernel's fault-injection points (lib/fault-inject.c, mm/failslab.c,
// mm/fail_page_alloc.c) as choices of the search: a scenario enables a class with a
// budget (`faults: { slab: 1, page_alloc: 1 }`) and the engine's injector threads arm
// faults that the next site of the class consumes (engine/faults.ts). Unlike the
// kernel's debugfs defaults (ignore-gfp-wait=Y), any GFP may fail: GFP_KERNEL error
// paths are where review bugs live. __GFP_NOFAIL never fails, as in the kernel.
import { nameFaultClass, shouldFail } from '../engine/index.ts';
import type { gfp_t } from './gfp.ts';
import type { Kernel } from './kernel.ts';

/** __GFP_NOFAIL in include/linux/gfp_types.h. */
export const __GFP_NOFAIL = 0x8000;

/** The classes the kernel layer injects; the KVM layer may add its own
 * (`should_fail(k, 'seamcall_busy')`). */
export const FAULT_SLAB = 'slab';
export const FAULT_PAGE_ALLOC = 'page_alloc';
nameFaultClass(FAULT_SLAB, 'failslab');
nameFaultClass(FAULT_PAGE_ALLOC, 'fail_page_alloc');

// should_fail() in lib/fault-inject.c: whether this call fails. `what` is the call
// as the trace shows it, `ret` what it returns when it fails (`NULL`, `-ENOMEM`);
// an injected failure is noted on the step, e.g. `kmalloc(64, GFP_KERNEL) = NULL
// [injected]`.
export function should_fail(k: Kernel, cls: string, what?: string, ret = 'NULL'): boolean {
  if (!shouldFail(k.run, cls)) return false;
  k.run.note(`${what ?? cls} = ${ret} [injected]`);
  return true;
}

// should_failslab() in mm/failslab.c
export function should_failslab(k: Kernel, gfp: gfp_t, what: string): boolean {
  return (gfp & __GFP_NOFAIL) === 0 && should_fail(k, FAULT_SLAB, what);
}

// should_fail_alloc_page() in mm/fail_page_alloc.c
export function should_fail_alloc_page(k: Kernel, gfp: gfp_t, what: string): boolean {
  return (gfp & __GFP_NOFAIL) === 0 && should_fail(k, FAULT_PAGE_ALLOC, what);
}
