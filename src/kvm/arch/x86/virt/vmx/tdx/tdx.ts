// arch/x86/virt/vmx/tdx/tdx.c (Dynamic PAMT)
// Dynamic PAMT on the host side: per 2 MiB region an atomic_t refcount of the 4K
// pages that need its PAMT (pamt_refcounts[]), the global pamt_lock that serializes
// adding and removing the PAMT, and the caches of PAMT pages KVM fills ahead of
// time (struct tdx_pamt_cache).
//
// tdx_pamt_get() and tdx_pamt_put() follow the latest posted series, "[PATCH v6
// 06/11] x86/virt/tdx: Optimize tdx_pamt_get/put()" (Rick Edgecombe, from Kirill A.
// Shutemov, Mon, 25 May 2026): get tries atomic_inc_not_zero() first and only then
// takes pamt_lock, rechecking the refcount under it; put is atomic_dec_and_lock(), so
// the 1->0 transition and TDH.PHYMEM.PAMT.REMOVE happen under pamt_lock. pamt_lock is
// a plain spin_lock() (v6 05/11 and 06/11): the S-EPT pages' references are dropped in
// process context (tdx_sept_reclaim_private_spt(), Sean's "x86/tdx_huge_sept_alt",
// 9 Feb 2026), never from an RCU callback in softirq.
//
// "Installed iff refcount > 0" holds where the code guarantees it: whenever pamt_lock
// is free (a fast path moves the refcount between nonzero values only); under the
// lock, the holder's 0->1 and 1->0 transitions and their SEAMCALLs are in flight.
import { Run } from '../../../../../../engine/index.ts';
import type { kvm_pfn_t } from '../../../include/asm/kvm_host.ts';
import { pamt_region, tdx_pamt, TDX_SUCCESS } from './tdx_module.ts';
import { EIO, ENOMEM } from '../../../../../include/uapi/asm-generic/errno.ts';
import type { kvm } from '../../../../../include/linux/kvm_host.ts';
import { model_key } from '../../../../../model/footprint.ts';
import { atomic_dec_and_lock, atomic_inc, atomic_inc_not_zero, atomic_read, atomic_set, atomic_t, in_atomic, Kernel, might_sleep, spin_lock, spin_lock_init, spin_unlock, spinlock_t, WARN_ON_ONCE, alloc_page, GFP_KERNEL_ACCOUNT, kmemleak_not_leak, shared_cache } from '../../../../../model/kernel.ts';

export const PAGE_SIZE = 4096;

export interface tdx_host_opts {
  /** tdx_supports_dynamic_pamt(); default on. */
  readonly dynamic_pamt?: boolean;
  /** tdx_dpamt_entry_pages(); default 2 (the 4K PAMT of a 2 MiB region). */
  readonly dpamt_entry_pages?: number;
  /** The TDX module's SEAMCALLs hold its internal locks from an entry point to their
   * completion, and one finding a lock held returns TDX_OPERAND_BUSY (tdx_module.ts).
   * Default off: each SEAMCALL is one atomic step, and KVM's handling of BUSY
   * (tdh_do_no_vcpus() retries) is modeled with the injected faults. */
  readonly seamcall_contention?: boolean;
  /** The module lacks TDX_FEATURES0.ENHANCE_DEMOTE_INTERRUPTIBILITY (default: it has
   * it, which RFC v5 37/45 requires): `seamcall_busy` then interrupts DEMOTE with
   * TDX_INTERRUPTED_RESTARTABLE. */
  readonly demote_interruptible?: boolean;
}

/** The allocator hands out frames in order: two allocations do not commute. */
const ALLOC = new model_key('host:alloc');

/** A region's refcount's name: the same in every schedule, so made once (shared.ts). */
const refcount_name = shared_cache((region: number) => `pamt_refcount[0x${(region * 512).toString(16)}]`);

/** A region's entry of pamt_refcounts[] (an atomic_t), whose every change fires the
 * host's tp_changed. */
class pamt_refcount_t extends atomic_t {
  constructor(
    k: Kernel,
    name: string,
    private readonly host: tdx_host,
    private readonly region: number,
  ) {
    super(k, name);
  }

  protected override changed(): void {
    this.host.refcount_changed(this.region);
  }
}

/** The host: its TDX module's PAMT, pamt_lock, the refcounts, and host page frames.
 * A region's refcount is an atomic_t (`atomic:pamt_refcount[0x…]`), created on first
 * use; allocations are writes of the allocator. */
export class tdx_host {
  readonly pamt: tdx_pamt;
  // static DEFINE_SPINLOCK(pamt_lock) in arch/x86/virt/vmx/tdx/tdx.c
  readonly pamt_lock: spinlock_t;
  /** pamt_refcounts[]: per 2 MiB region, 4K pages using its PAMT. Sparse. */
  private readonly pamt_refcounts = new Map<number, atomic_t>();
  /** The guest page a region's refcount last changed for (reports only). */
  private readonly gfn_for = new Map<number, number>();
  private next_pfn = 0x100000;
  readonly demote_interruptible: boolean;

  constructor(
    readonly run: Run,
    opts: tdx_host_opts,
  ) {
    this.demote_interruptible = opts.demote_interruptible ?? false;
    this.pamt = new tdx_pamt(run, opts.dynamic_pamt ?? true, opts.dpamt_entry_pages ?? 2, opts.seamcall_contention ?? false);
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

  /** The atomic_t of `region`. Every change of its counter fires tp_changed. */
  region_atomic(region: number): atomic_t {
    let v = this.pamt_refcounts.get(region);
    if (v !== undefined) return v;
    v = new pamt_refcount_t(Kernel.of(this.run), refcount_name(region), this, region);
    this.pamt_refcounts.set(region, v);
    return v;
  }

  /** A region's refcount changed: tp_changed fires, for the guest page noted. */
  refcount_changed(region: number): void {
    this.pamt.tp_changed.trace({ region, gfn: this.gfn_for.get(region) ?? -1 });
  }

  /** Names the guest page `pfn`'s next refcount change is for (reports only). */
  note_gfn(pfn: kvm_pfn_t, gfn: number): void {
    this.gfn_for.set(pamt_region(pfn), gfn);
  }

  refcount(pfn: kvm_pfn_t): number {
    return this.region_refcount(pamt_region(pfn));
  }

  /** The refcount of a 2 MiB region, read without a scheduling point (a recorded
   * read of its atomic_t): for fixtures, invariants and tests. */
  region_refcount(region: number): number {
    const v = this.region_atomic(region);
    this.run.touch(v.fp_read[0]!);
    return v.counter;
  }

  /** Sets the refcount of `pfn`'s region at once (fixtures and tests; the kernel's
   * paths use the atomic_*() operations); `gfn` is the guest page it is for. */
  set_refcount(pfn: kvm_pfn_t, n: number, gfn: number): void {
    const v = this.region_atomic(pamt_region(pfn));
    this.run.touch(v.fp_write[0]!);
    this.note_gfn(pfn, gfn);
    v.counter = n;
  }

  /** Every nonzero refcount by region, sorted (for state hashes and tests; not recorded). */
  refcounts(): Array<[number, number]> {
    // One pass over the map, not a copy of it filtered and mapped into two more.
    const out: Array<[number, number]> = [];
    for (const [r, v] of this.pamt_refcounts) if (v.counter !== 0) out.push([r, v.counter]);
    return out.sort((a, b) => a[0] - b[0]);
  }

  /** The footprint key of `region`'s refcount (the audit's). */
  refcount_key(region: number): string {
    return this.region_atomic(region).fp_write[0]!.key;
  }
}

/** The key of a run's host (Run.local(): a WeakMap keyed by the run would keep the
 * host alive past minor GCs). */
const HOST = {};

/** The host of `run` (one per schedule), created on first use. */
export function tdx_host_of(run: Run, opts: tdx_host_opts = {}): tdx_host {
  // Looked up, not run.local()'s maker: no closure made every schedule.
  let host = run.localOf<tdx_host>(HOST);
  if (host === undefined) run.setLocal(HOST, (host = new tdx_host(run, opts)));
  return host;
}

// tdx_dpamt_entry_pages() in arch/x86/virt/vmx/tdx/tdx.c
export function tdx_dpamt_entry_pages(host: tdx_host): number {
  return host.pamt.dynamic ? host.pamt.entry_pages : 0;
}

// struct tdx_pamt_cache in arch/x86/include/asm/tdx.h
export class tdx_pamt_cache {
  private the_cnt = 0;
  /** Its footprint key, made when first recorded. */
  private key: model_key | null = null;

  constructor(
    readonly name: string,
    /** The run that records its accesses; null for a cache only its thread sees. */
    private readonly run: Run | null,
  ) {}

  /** Pages on the list; each access recorded (`pamt_cache:<name>`). An accessor of
   * the class: one defined on each object turns it into a
   * dictionary-mode object, slower at every access. */
  get cnt(): number {
    this.run?.touch((this.key ??= new model_key(`pamt_cache:${this.name}`)).read);
    return this.the_cnt;
  }
  set cnt(v: number) {
    this.run?.touch((this.key ??= new model_key(`pamt_cache:${this.name}`)).write);
    this.the_cnt = v;
  }
}

// tdx_init_pamt_cache()
export function tdx_init_pamt_cache(cache: tdx_pamt_cache): void {
  cache.cnt = 0;
}

// tdx_topup_pamt_cache() in arch/x86/virt/vmx/tdx/tdx.c: may sleep, and is checked as
// such even when the cache is already full (as kvm_mmu_topup_memory_cache() is here).
// One alloc_page(GFP_KERNEL_ACCOUNT) per missing page, a fail_page_alloc site: a
// failure leaves what it got so far and returns -ENOMEM. The pages are the cache's
// (kmemleak_not_leak: where they go after it is not modeled).
export async function tdx_topup_pamt_cache(cache: tdx_pamt_cache, npages: number): Promise<number> {
  might_sleep(`tdx_topup_pamt_cache(${cache.name}, ${npages})`);
  if (cache.cnt >= npages) return 0;
  const run = Run.live;
  if (run === null) throw new Error('tdx_topup_pamt_cache: no run is live');
  const k = Kernel.of(run);
  while (cache.cnt < npages) {
    const page = alloc_page(k, GFP_KERNEL_ACCOUNT);
    if (page === null) {
      run.result('-ENOMEM');
      return -ENOMEM;
    }
    kmemleak_not_leak(page);
    cache.cnt++;
  }
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

// tdx_find_pamt_refcount() in arch/x86/virt/vmx/tdx/tdx.c
export function tdx_find_pamt_refcount(host: tdx_host, pfn: kvm_pfn_t): atomic_t {
  return host.region_atomic(pamt_region(pfn));
}

// tdx_pamt_get() in arch/x86/virt/vmx/tdx/tdx.c (v6 06/11, with v6 08/11's cache): one
// more 4K page at `pfn` needs the 4K PAMT of its 2 MiB region; add it, with pages from
// `cache`, if this is the first.
export async function tdx_pamt_get(kvm: kvm, pfn: kvm_pfn_t, cache: tdx_pamt_cache, gfn: number): Promise<number> {
  const host = kvm.host;
  if (!host.pamt.dynamic) return 0;
  const pamt_refcount = tdx_find_pamt_refcount(host, pfn);
  host.note_gfn(pfn, gfn);
  // If the pamt page is already added (i.e. refcount >= 1), then just increment the refcount.
  if (await atomic_inc_not_zero(pamt_refcount)) return 0;
  // alloc_pamt_array(): from the cache KVM topped up.
  const pages = kvm.call.tdx_alloc_pamt_pages(kvm, cache, tdx_dpamt_entry_pages(host), gfn);
  await spin_lock(host.pamt_lock);
  // Recheck under the lock since another get may have already done the 0->1
  // transition after both saw atomic_inc_not_zero() fail.
  if (await atomic_read(pamt_refcount)) {
    await atomic_inc(pamt_refcount);
    await spin_unlock(host.pamt_lock);
    // free_pamt_array(): the pages go back to the page allocator.
    return 0;
  }
  const err = await kvm.call.tdh_phymem_pamt_add(host.pamt, host.run, pamt_region(pfn), pages);
  if (err !== TDX_SUCCESS) {
    WARN_ON_ONCE(true, `tdx_pamt_get(): tdh_phymem_pamt_add(pfn 0x${pfn.toString(16)}) = ${err}`);
    await spin_unlock(host.pamt_lock);
    return -EIO;
  }
  // The refcount is zero, and this locked path is the only way to increase it from 0->1.
  await atomic_set(pamt_refcount, 1);
  await spin_unlock(host.pamt_lock);
  return 0;
}

// tdx_pamt_put() in arch/x86/virt/vmx/tdx/tdx.c (v6 06/11)
export async function tdx_pamt_put(kvm: kvm, pfn: kvm_pfn_t, gfn: number): Promise<void> {
  const host = kvm.host;
  if (!host.pamt.dynamic) return;
  const pamt_refcount = tdx_find_pamt_refcount(host, pfn);
  host.note_gfn(pfn, gfn);
  // If there is more than 1 reference on the pamt page, don't remove it yet. Just
  // decrement the refcount.
  if (!(await atomic_dec_and_lock(pamt_refcount, host.pamt_lock))) return;
  const err = await kvm.call.tdh_phymem_pamt_remove(host.pamt, host.run, pamt_region(pfn));
  if (WARN_ON_ONCE(err !== TDX_SUCCESS, `tdx_pamt_put(): tdh_phymem_pamt_remove(pfn 0x${pfn.toString(16)}) = ${err}`)) {
    // atomic_dec_and_lock() already decremented it to 0, but the PAMT entry still
    // exists since REMOVE failed.
    await atomic_set(pamt_refcount, 1);
  }
  await spin_unlock(host.pamt_lock);
}
