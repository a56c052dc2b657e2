// struct kvm_mmu_memory_cache (include/linux/kvm_types.h, virt/kvm/kvm_main.c):
// objects preallocated where sleeping is allowed, so code under mmu_lock can take
// them without allocating.
import type { Footprint } from '../engine/index.ts';
import { __might_sleep, warning } from './checks.ts';
import { should_failslab, should_fail_alloc_page } from './fault_inject.ts';
import { gfp_name, GFP_KERNEL_ACCOUNT } from './gfp.ts';
import { kasan_slab_free, kmem_obj } from './kasan.ts';
import { __alloc_obj, type kmem_cache } from './slab.ts';
import type { Kernel } from './kernel.ts';
import { LD_WAIT_CONFIG, lock_base } from './lock.ts';
import { held_locks } from './lockdep/reports.ts';
import { key_footprints_of, key_namer } from './shared.ts';
import { current } from './task.ts';

/** KVM_ARCH_NR_OBJS_PER_MEMORY_CACHE on x86. */
export const KVM_ARCH_NR_OBJS_PER_MEMORY_CACHE = 40;
const ENOMEM = 12;
const FILE = 'virt/kvm/kvm_main.c';
const memcache_key = key_namer('memcache:');

export interface kvm_mmu_memory_cache_opts<T> {
  /** Objects a top-up fills it to; default KVM_ARCH_NR_OBJS_PER_MEMORY_CACHE. */
  readonly capacity?: number;
  /** Makes one object; default a 4 KiB kmem_obj. */
  readonly alloc?: () => T;
  /** mc->kmem_cache: objects come from this slab cache (a failslab site), else
   * from __get_free_page() (a fail_page_alloc site). */
  readonly kmem_cache?: kmem_cache;
}

// struct kvm_mmu_memory_cache in include/linux/kvm_types.h
export class kvm_mmu_memory_cache<T = kmem_obj> {
  nobjs = 0;
  readonly capacity: number;
  readonly objects: T[] = [];
  readonly fp: readonly Footprint[];
  /** opts.alloc, if given (else alloc() makes the default object). */
  private readonly make: (() => T) | undefined;
  readonly kmem_cache: kmem_cache | undefined;

  constructor(
    readonly k: Kernel,
    readonly name: string,
    opts: kvm_mmu_memory_cache_opts<T> = {},
  ) {
    this.capacity = opts.capacity ?? KVM_ARCH_NR_OBJS_PER_MEMORY_CACHE;
    this.kmem_cache = opts.kmem_cache;
    // A method, not a closure per cache: a vCPU makes three every schedule.
    this.make = opts.alloc;
    // Names are the same in every schedule (x86.ts makes a vCPU's once): so are keys.
    this.fp = key_footprints_of(k.unique(memcache_key(name))).write;
  }

  /** Makes one object: opts.alloc's, else a 4 KiB kmem_obj from the cache's slab or
   * the page allocator. */
  alloc(): T {
    if (this.make !== undefined) return this.make();
    const c = this.kmem_cache;
    return (c === undefined ? __alloc_obj(this.k, 4096, 'page', '__get_free_page') : __alloc_obj(this.k, c.size, c.name, 'kmem_cache_alloc')) as T;
  }
}

// kvm_mmu_topup_memory_cache() in virt/kvm/kvm_main.c: a no-op when it holds `min`
// already, else fills it to capacity. It is checked with might_sleep() even when it
// has enough: a top-up under a spinning lock is a bug whether or not this call
// happens to allocate (the kernel would only catch the call that does).
export async function kvm_mmu_topup_memory_cache<T>(mc: kvm_mmu_memory_cache<T>, min: number): Promise<number> {
  const t = current();
  const op = { kind: 'kvm_mmu_topup_memory_cache', obj: mc.name, footprint: mc.fp };
  const f = __might_sleep(t, FILE, `kvm_mmu_topup_memory_cache(${mc.name}, ${min})`);
  if (f !== null) return t.k.splat_at(op, f);
  await t.k.run.point(op);
  if (mc.nobjs >= min) return 0;
  while (mc.nobjs < mc.capacity) {
    // mmu_memory_cache_alloc_obj(): a failed allocation ends the top-up.
    if (alloc_obj_fails(mc)) {
      if (mc.nobjs >= min) return 0;
      t.k.run.result('-ENOMEM');
      return -ENOMEM;
    }
    mc.objects.push(mc.alloc());
    mc.nobjs++;
  }
  return mc.nobjs >= min ? 0 : -ENOMEM;
}

/** The fault site of mmu_memory_cache_alloc_obj() in virt/kvm/kvm_main.c: the
 * cache's slab (kmem_cache_zalloc) or the page allocator (__get_free_page). */
function alloc_obj_fails<T>(mc: kvm_mmu_memory_cache<T>): boolean {
  const gfp = GFP_KERNEL_ACCOUNT;
  const c = mc.kmem_cache;
  if (c !== undefined) return should_failslab(mc.k, gfp, `kmem_cache_zalloc(${c.name}, ${gfp_name(gfp)})`);
  return should_fail_alloc_page(mc.k, gfp, `__get_free_page(${gfp_name(gfp)})`);
}

// kvm_mmu_memory_cache_alloc() in virt/kvm/kvm_main.c: WARN_ON(!mc->nobjs), then
// falls back to GFP_ATOMIC.
export async function kvm_mmu_memory_cache_alloc<T>(mc: kvm_mmu_memory_cache<T>): Promise<T> {
  const t = current();
  await t.k.run.point({ kind: 'kvm_mmu_memory_cache_alloc', obj: mc.name, footprint: mc.fp });
  if (mc.nobjs > 0) {
    mc.nobjs--;
    return mc.objects.pop()!;
  }
  const locks = t.held_locks.filter((h) => h.instance instanceof lock_base && h.instance.wait_type_inner === LD_WAIT_CONFIG);
  const names = locks.map((h) => `${h.instance.name}${h.read ? ' (read)' : ''}`);
  const f = warning(
    t,
    'cache-exhausted',
    `${FILE} kvm_mmu_memory_cache_alloc`,
    `kvm_mmu_memory_cache_alloc(${mc.name}): cache empty in ${t.comm}${names.length > 0 ? ` while holding ${names.join(', ')}` : ''}`,
    [],
    [`kvm_mmu_memory_cache_alloc: ${mc.name} is empty`, ...held_locks(t)],
  );
  t.k.report({ ...f, details: { ...f.details, cache: mc.name, locks: locks.map((h) => h.instance.name) } });
  return mc.alloc();
}

// kvm_mmu_memory_cache_nr_free_objects() in virt/kvm/kvm_main.c
export function kvm_mmu_memory_cache_nr_free_objects<T>(mc: kvm_mmu_memory_cache<T>): number {
  return mc.nobjs;
}

// kvm_mmu_free_memory_cache() in virt/kvm/kvm_main.c
export async function kvm_mmu_free_memory_cache<T>(mc: kvm_mmu_memory_cache<T>): Promise<void> {
  await mc.k.run.point({ kind: 'kvm_mmu_free_memory_cache', obj: mc.name, footprint: mc.fp });
  // The objects go back to their allocator (kmem_cache_free() or free_page()).
  for (const o of mc.objects) if (o instanceof kmem_obj) kasan_slab_free(o, mc.kmem_cache === undefined ? 'free_page' : 'kmem_cache_free');
  mc.objects.length = 0;
  mc.nobjs = 0;
}
