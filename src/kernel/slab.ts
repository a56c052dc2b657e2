// The slab allocator (include/linux/slab.h, mm/slub.c): kmalloc() and named caches.
// An allocation touches no shared state of the model, so it is not a scheduling
// point: it runs inside the caller's step. Each is a failslab site (fault_inject.ts)
// and returns a kmem_obj that KASAN and kmemleak follow (kasan.ts, kmemleak.ts).
import { call_rcu } from './rcu.ts';
import { should_failslab } from './fault_inject.ts';
import { alloc_call_namer, gfpflags_allow_blocking, might_alloc, type gfp_t } from './gfp.ts';
import { kasan_slab_free, kmem_obj, track_here } from './kasan.ts';
import type { Kernel } from './kernel.ts';
import './kmemleak.ts'; // its scan runs once a kernel has objects

export { kmem_obj } from './kasan.ts';

/** struct kmem_cache, reduced to its name and object size. */
export interface kmem_cache {
  readonly k: Kernel;
  readonly name: string;
  readonly size: number;
}

/** kmalloc's caches: kmalloc-8 ... kmalloc-8k; larger sizes go to the page allocator. */
function kmalloc_cache_name(size: number): string {
  if (size > 8192) return 'kmalloc-large';
  let n = 8;
  while (n < size) n *= 2;
  return n >= 1024 ? `kmalloc-${n / 1024}k` : `kmalloc-${n}`;
}

/** An object made where no task runs or no fault applies (e.g. a memory cache's
 * prefill): tracked by KASAN and kmemleak, its stack only the primitive. */
export function __alloc_obj(k: Kernel, size: number, cache = kmalloc_cache_name(size), fn = 'kmalloc'): kmem_obj {
  return new kmem_obj(k, size, cache === 'page' ? 'page' : 'slab', cache, track_here(k, [fn], false));
}

const kmalloc_call = alloc_call_namer<number>('kmalloc');
const kzalloc_call = alloc_call_namer<number>('kzalloc');
const kmem_cache_alloc_call = alloc_call_namer<string>('kmem_cache_alloc');
const kmem_cache_zalloc_call = alloc_call_namer<string>('kmem_cache_zalloc');

/** slab_alloc_node(): the checks every slab allocation makes, then the object. */
function slab_alloc(k: Kernel, size: number, gfp: gfp_t, cache: string, fn: string, what: string): kmem_obj | null {
  might_alloc(k, gfp, what);
  if (!gfpflags_allow_blocking(gfp) && k.gfp_atomic_fails) return null;
  if (should_failslab(k, gfp, what)) return null;
  return new kmem_obj(k, size, 'slab', cache, track_here(k, [fn]));
}

// kmalloc() in include/linux/slab.h: NULL when failslab injects a fault, or when an
// allocation that may not sleep fails (k.gfp_atomic_fails).
export function kmalloc(k: Kernel, size: number, gfp: gfp_t): kmem_obj | null {
  return slab_alloc(k, size, gfp, kmalloc_cache_name(size), 'kmalloc', kmalloc_call(gfp, size));
}

// kzalloc() in include/linux/slab.h
export function kzalloc(k: Kernel, size: number, gfp: gfp_t): kmem_obj | null {
  return slab_alloc(k, size, gfp, kmalloc_cache_name(size), 'kzalloc', kzalloc_call(gfp, size));
}

// kfree() in mm/slub.c: NULL is a no-op; a second free is KASAN's double-free.
export function kfree(obj: kmem_obj | null): void {
  if (obj === null) return;
  kasan_slab_free(obj, 'kfree');
}

// kmem_cache_create() in mm/slab_common.c
export function kmem_cache_create(k: Kernel, name: string, size: number): kmem_cache {
  return { k, name, size };
}

// kmem_cache_alloc() in mm/slub.c
export function kmem_cache_alloc(s: kmem_cache, gfp: gfp_t): kmem_obj | null {
  return slab_alloc(s.k, s.size, gfp, s.name, 'kmem_cache_alloc', kmem_cache_alloc_call(gfp, s.name));
}

// kmem_cache_zalloc() in include/linux/slab.h
export function kmem_cache_zalloc(s: kmem_cache, gfp: gfp_t): kmem_obj | null {
  return slab_alloc(s.k, s.size, gfp, s.name, 'kmem_cache_zalloc', kmem_cache_zalloc_call(gfp, s.name));
}

// kmem_cache_free() in mm/slub.c
export function kmem_cache_free(s: kmem_cache, obj: kmem_obj): void {
  if (obj.cache !== s.name) throw new Error(`kmem_cache_free(${s.name}): object ${obj.key} belongs to cache ${obj.cache}`);
  kasan_slab_free(obj, 'kmem_cache_free');
}

// kfree_rcu() in include/linux/rcupdate.h: kfree() after a grace period, from the
// RCU callback (call_rcu()); until then the object stays valid for readers.
export function kfree_rcu(obj: kmem_obj): void {
  obj.aux_track = track_here(obj.k, ['kfree_rcu']);
  call_rcu({ name: obj.key }, () => kasan_slab_free(obj, 'kfree', ['rcu_do_batch', 'rcu_core']));
}
