// GFP flags (include/linux/gfp_types.h). The allocators are in slab.ts and
// page_alloc.ts; might_alloc() checks a blocking one against atomic context.
import { __might_sleep } from './checks.ts';
import type { Kernel } from './kernel.ts';
import { shared_cache } from './shared.ts';
import { current_or_null } from './task.ts';

export type gfp_t = number;

export const __GFP_HIGH = 0x20;
export const __GFP_IO = 0x40;
export const __GFP_FS = 0x80;
export const __GFP_ZERO = 0x100;
export const __GFP_DIRECT_RECLAIM = 0x400;
export const __GFP_KSWAPD_RECLAIM = 0x800;
export const __GFP_NOWARN = 0x2000;
export const __GFP_ACCOUNT = 0x400000;
export const __GFP_RECLAIM = __GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM;

export const GFP_ATOMIC = __GFP_HIGH | __GFP_KSWAPD_RECLAIM;
export const GFP_NOWAIT = __GFP_KSWAPD_RECLAIM;
export const GFP_KERNEL = __GFP_RECLAIM | __GFP_IO | __GFP_FS;
export const GFP_KERNEL_ACCOUNT = GFP_KERNEL | __GFP_ACCOUNT;

// gfpflags_allow_blocking() in include/linux/gfp.h
export function gfpflags_allow_blocking(gfp: gfp_t): boolean {
  return (gfp & __GFP_DIRECT_RECLAIM) !== 0;
}

const names: ReadonlyArray<readonly [gfp_t, string]> = [
  [GFP_KERNEL_ACCOUNT, 'GFP_KERNEL_ACCOUNT'],
  [GFP_KERNEL, 'GFP_KERNEL'],
  [GFP_ATOMIC, 'GFP_ATOMIC'],
  [GFP_NOWAIT, 'GFP_NOWAIT'],
];

/** The flags as %pGg would name them. */
export function gfp_name(gfp: gfp_t): string {
  for (const [v, n] of names) if ((gfp & v) === v) return (gfp & ~v) === 0 ? n : `${n}|0x${(gfp & ~v).toString(16)}`;
  return `0x${gfp.toString(16)}`;
}

/** The call an allocation is reported as: `fn(ARG, GFP)` (`kmalloc(64, GFP_KERNEL)`),
 * or `fn(GFP)` without an argument (`get_zeroed_page(GFP_KERNEL)`). Made once per
 * argument and flags (shared.ts): it is the same in every schedule, and gfp_name()
 * walks the flag names. */
export function alloc_call_namer<A extends string | number = never>(fn: string): (gfp: gfp_t, arg?: A) => string {
  const by_gfp = shared_cache((gfp: gfp_t) => `${fn}(${gfp_name(gfp)})`);
  const by_arg = shared_cache((arg: A) => shared_cache((gfp: gfp_t) => `${fn}(${arg}, ${gfp_name(gfp)})`));
  return (gfp, arg) => (arg === undefined ? by_gfp(gfp) : by_arg(arg)(gfp));
}

// might_alloc() in include/linux/sched/mm.h: a blocking allocation may sleep.
export function might_alloc(k: Kernel, gfp: gfp_t, what: string): void {
  if (!gfpflags_allow_blocking(gfp)) return;
  const t = current_or_null();
  const f = t === null ? null : __might_sleep(t, 'include/linux/sched/mm.h', what);
  if (f !== null) k.report(f);
}
