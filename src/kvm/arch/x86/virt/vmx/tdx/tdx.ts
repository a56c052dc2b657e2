// arch/x86/virt/vmx/tdx/tdx.c (Dynamic PAMT)
// Dynamic PAMT on the host side (RFC v5 "TDX: Dynamic PAMT"): per 2 MiB host
// region a refcount of the 4K pages that need its PAMT, the global pamt_lock, and
// the caches of PAMT pages KVM fills ahead of time (struct tdx_pamt_cache).
// arch/x86/virt/vmx/tdx/tdx.c: tdx_pamt_get(), tdx_pamt_put(), tdx_topup_pamt_cache().
//
// Model choice: the refcount changes only under pamt_lock (the kernel also has a
// lock-free fast path on an atomic_t), so "installed iff refcount > 0" holds at every
// step boundary and the DPAMT invariant can check it exactly.
import { Run } from '../../../../../../engine/index.ts';
import type { kvm_pfn_t } from '../../../include/asm/kvm_host.ts';
import { pamt_region, tdx_pamt, TDX_SUCCESS } from './tdx_module.ts';
import { EIO, ENOMEM } from '../../../../../include/uapi/asm-generic/errno.ts';
import type { kvm } from '../../../../../include/linux/kvm_host.ts';
import { model_key, record_fields, touch_range } from '../../../../../model/footprint.ts';
import { GFP_KERNEL, in_atomic, Kernel, kmalloc, might_sleep, spin_lock_bh, spin_lock_init, spin_unlock_bh, spinlock_t } from '../../../../../model/kernel.ts';

export const PAGE_SIZE = 4096;

export interface tdx_host_opts {
  /** tdx_supports_dynamic_pamt(); default on. */
  readonly dynamic_pamt?: boolean;
  /** tdx_dpamt_entry_pages(); default 2 (the 4K PAMT of a 2 MiB region). */
  readonly dpamt_entry_pages?: number;
}

const REFCOUNT = 'pamt:refcount';
/** The allocator hands out frames in order: two allocations do not commute. */
const ALLOC = new model_key('host:alloc');

/** The host: its TDX module's PAMT, pamt_lock, the refcounts, and host page frames.
 * Refcounts are recorded by region, allocations as writes of the allocator. */
export class tdx_host {
  readonly pamt: tdx_pamt;
  // static DEFINE_SPINLOCK(pamt_lock) in arch/x86/virt/vmx/tdx/tdx.c
  readonly pamt_lock: spinlock_t;
  /** Per 2 MiB region: 4K pages using its PAMT (pamt_refcounts[]). Sparse. */
  private readonly pamt_refcount = new Map<number, number>();
  private next_pfn = 0x100000;

  constructor(
    readonly run: Run,
    opts: tdx_host_opts,
  ) {
    this.pamt = new tdx_pamt(run, opts.dynamic_pamt ?? true, opts.dpamt_entry_pages ?? 2);
    this.pamt_lock = new spinlock_t(Kernel.of(run), 'pamt_lock');
    spin_lock_init(this.pamt_lock);
  }

  /** alloc_pages(order): host frames, naturally aligned. Deterministic. */
  alloc_pages(order: number): kvm_pfn_t {
    this.run.touch(ALLOC.write);
    const n = 2 ** order;
    const pfn = Math.ceil(this.next_pfn / n) * n;
    this.next_pfn = pfn + n;
    return pfn;
  }

  refcount(pfn: kvm_pfn_t): number {
    return this.region_refcount(pamt_region(pfn));
  }

  /** The refcount of a 2 MiB region. */
  region_refcount(region: number): number {
    touch_range(this.run, REFCOUNT, 'read', region, region + 1);
    return this.pamt_refcount.get(region) ?? 0;
  }

  /** Sets the refcount of `pfn`'s region; `gfn` is the guest page it is for. */
  set_refcount(pfn: kvm_pfn_t, n: number, gfn: number): void {
    const r = pamt_region(pfn);
    touch_range(this.run, REFCOUNT, 'write', r, r + 1);
    if (n === 0) this.pamt_refcount.delete(r);
    else this.pamt_refcount.set(r, n);
    this.pamt.tp_changed.trace({ region: r, gfn });
  }

  /** Every nonzero refcount by region, sorted (for state hashes and tests; not recorded). */
  refcounts(): Array<[number, number]> {
    return [...this.pamt_refcount].sort((a, b) => a[0] - b[0]);
  }
}

/** The key of a run's host (Run.local(): a WeakMap keyed by the run would keep the
 * host alive past minor GCs). */
const HOST = {};

/** The host of `run` (one per schedule), created on first use. */
export function tdx_host_of(run: Run, opts: tdx_host_opts = {}): tdx_host {
  return run.local(HOST, () => new tdx_host(run, opts));
}

// tdx_dpamt_entry_pages() in arch/x86/virt/vmx/tdx/tdx.c
export function tdx_dpamt_entry_pages(host: tdx_host): number {
  return host.pamt.dynamic ? host.pamt.entry_pages : 0;
}

// struct tdx_pamt_cache in arch/x86/include/asm/tdx.h
export class tdx_pamt_cache {
  /** Pages on the list. */
  cnt = 0;

  constructor(
    readonly name: string,
    /** The run that records its accesses; null for a cache only its thread sees. */
    run: Run | null,
  ) {
    record_fields<tdx_pamt_cache>(this, run, new model_key(`pamt_cache:${name}`), ['cnt']);
  }
}

// tdx_init_pamt_cache()
export function tdx_init_pamt_cache(cache: tdx_pamt_cache): void {
  cache.cnt = 0;
}

// tdx_topup_pamt_cache() in arch/x86/virt/vmx/tdx/tdx.c: may sleep, and is checked as
// such even when the cache is already full (as kvm_mmu_topup_memory_cache() is here).
export async function tdx_topup_pamt_cache(cache: tdx_pamt_cache, npages: number): Promise<number> {
  might_sleep(`tdx_topup_pamt_cache(${cache.name}, ${npages})`);
  if (cache.cnt >= npages) return 0;
  const run = Run.live;
  if (run === null) throw new Error('tdx_topup_pamt_cache: no run is live');
  const pages = kmalloc(Kernel.of(run), (npages - cache.cnt) * PAGE_SIZE, GFP_KERNEL);
  if (pages === null || pages === undefined) return -ENOMEM;
  cache.cnt = npages;
  return 0;
}

/** Takes up to `n` pages from the cache; reports a shortfall to the model (the caches
 * invariant) with the GFN being mapped or split. Returns how many it got. */
export function tdx_alloc_pamt_pages(kvm: kvm, cache: tdx_pamt_cache, n: number, gfn: number): number {
  const got = Math.min(n, cache.cnt);
  cache.cnt -= got;
  if (got < n) kvm.model.empty_cache(cache.name, gfn, in_atomic());
  return got;
}

// tdx_pamt_get() in arch/x86/virt/vmx/tdx/tdx.c: one more 4K page at `pfn` needs the
// 4K PAMT of its 2 MiB region; install it from `cache` if it is the first.
export async function tdx_pamt_get(kvm: kvm, pfn: kvm_pfn_t, cache: tdx_pamt_cache, gfn: number): Promise<number> {
  const host = kvm.host;
  if (!host.pamt.dynamic) return 0;
  await spin_lock_bh(host.pamt_lock);
  let ret = 0;
  const refs = host.refcount(pfn);
  if (refs > 0) {
    host.set_refcount(pfn, refs + 1, gfn);
  } else {
    const pages = kvm.call.tdx_alloc_pamt_pages(kvm, cache, tdx_dpamt_entry_pages(host), gfn);
    const err = await kvm.call.tdh_phymem_pamt_add(host.pamt, host.run, pamt_region(pfn), pages);
    if (err === TDX_SUCCESS) host.set_refcount(pfn, 1, gfn);
    else {
      cache.cnt += pages;
      ret = -EIO;
    }
  }
  await spin_unlock_bh(host.pamt_lock);
  return ret;
}

// tdx_pamt_put() in arch/x86/virt/vmx/tdx/tdx.c
export async function tdx_pamt_put(kvm: kvm, pfn: kvm_pfn_t, gfn: number): Promise<void> {
  const host = kvm.host;
  if (!host.pamt.dynamic) return;
  await spin_lock_bh(host.pamt_lock);
  const refs = host.refcount(pfn);
  if (refs === 1) {
    const err = await kvm.call.tdh_phymem_pamt_remove(host.pamt, host.run, pamt_region(pfn));
    if (err === TDX_SUCCESS) host.set_refcount(pfn, 0, gfn);
  } else if (refs > 1) {
    host.set_refcount(pfn, refs - 1, gfn);
  }
  await spin_unlock_bh(host.pamt_lock);
}
