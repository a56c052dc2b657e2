// GFP flags (include/linux/gfp_types.h) and kmalloc() (include/linux/slab.h). An
// allocation touches no modelled shared state, so it is not a scheduling point; a
// blocking one is still checked by might_alloc() against atomic context.
import { __might_sleep } from './checks.ts';
import type { Kernel } from './kernel.ts';
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

/** What kmalloc() returns: an object with an identity, its size and id. */
export interface kmem_obj {
  readonly id: number;
  readonly size: number;
}

const next_id = new WeakMap<Kernel, number>();

/** A fresh object, numbered per run so that runs compare equal. */
export function __alloc_obj(k: Kernel, size: number): kmem_obj {
  const id = (next_id.get(k) ?? 0) + 1;
  next_id.set(k, id);
  return { id, size };
}

// kmalloc() in include/linux/slab.h: null when an allocation that may not sleep
// fails (k.gfp_atomic_fails); one that may sleep never fails here.
export function kmalloc(k: Kernel, size: number, gfp: gfp_t): kmem_obj | null {
  if (gfpflags_allow_blocking(gfp)) {
    // might_alloc() in include/linux/sched/mm.h
    const t = current_or_null();
    const f = t === null ? null : __might_sleep(t, 'include/linux/sched/mm.h', `kmalloc(${size}, ${gfp_name(gfp)})`);
    if (f !== null) k.report(f);
  } else if (k.gfp_atomic_fails) {
    return null;
  }
  return __alloc_obj(k, size);
}

// kzalloc() in include/linux/slab.h
export function kzalloc(k: Kernel, size: number, gfp: gfp_t): kmem_obj | null {
  return kmalloc(k, size, gfp | __GFP_ZERO);
}
