// The per-VM cache of DPAMT pages for splits without a vCPU, as v3 has it:
// "[PATCH v3 20/24] KVM: TDX: Implement per-VM external cache for splitting in TDX",
// Yan Zhao, Tue, 6 Jan 2026 18:23:45 +0800. Pages are allocated with GFP_KERNEL
// outside any lock and enqueued and dequeued under prealloc_split_cache_lock, a
// spinlock that nests inside mmu_lock (split_external_spte() runs under it).
import { GFP_KERNEL, kmalloc, spin_lock, spin_lock_init, spin_unlock } from '../kernel/index.ts';
import { ENOMEM, PG_LEVEL_2M, tdx_alloc_pamt_pages, tdx_min_split_cache_sz, tdx_pamt_cache, type kvm, type kvm_functions } from '../kvm/index.ts';
import { PAGE_SIZE, tdx_init_pamt_cache } from '../kvm/arch/x86/virt/vmx/tdx/tdx.ts';

/** Per run, each VM's cache (Run.local(): a WeakMap keyed by the VM would keep it
 * alive past minor GCs). */
const PREALLOC = {};
const prealloc_of = (kvm: kvm) => kvm.run.local(PREALLOC, () => new Map<kvm, tdx_pamt_cache>());

/** kvm_tdx->prealloc_split_cache (struct kvm_tdx in the model predates it). */
export function prealloc_split_cache(kvm: kvm): tdx_pamt_cache {
  const prealloc = prealloc_of(kvm);
  let cache = prealloc.get(kvm);
  if (cache === undefined) prealloc.set(kvm, (cache = new tdx_pamt_cache('kvm_tdx->prealloc_split_cache', kvm.run)));
  return cache;
}

/** The per-VM split cache of `kvm`: v3's prealloc_split_cache once tdx_vm_init_v3()
 * set it up, else kvm_tdx->pamt_cache (v5 44/45). */
export function per_vm_split_cache(kvm: kvm): tdx_pamt_cache {
  return prealloc_of(kvm).get(kvm) ?? kvm.tdx.pamt_cache;
}

// tdx_vm_init() in arch/x86/kvm/vmx/tdx.c, v3 20/24's hunk.
export function tdx_vm_init_v3(kvm: kvm): void {
  // INIT_LIST_HEAD(&kvm_tdx->prealloc_split_cache.page_list);
  tdx_init_pamt_cache(prealloc_split_cache(kvm));
  spin_lock_init(kvm.tdx.prealloc_split_cache_lock);
}

// tdx_topup_vm_split_cache() in arch/x86/kvm/vmx/tdx.c (v3 20/24)
export async function tdx_topup_vm_split_cache(kvm: kvm, cnt: number): Promise<number> {
  const cache = prealloc_split_cache(kvm);
  while (cache.cnt < cnt) {
    // alloc_page(GFP_KERNEL): may sleep, so outside the spinlock.
    if (kmalloc(kvm.k, PAGE_SIZE, GFP_KERNEL) === null) return -ENOMEM;
    await spin_lock(kvm.tdx.prealloc_split_cache_lock);
    cache.cnt++; // list_add(&page->lru, &prealloc->page_list)
    await spin_unlock(kvm.tdx.prealloc_split_cache_lock);
  }
  return 0;
}

/** v3's top-up before a boundary split: v3 maps at most 2M (the variant's
 * max_private_level), so at most a head and a tail 2M leaf to split,
 * tdx_min_split_cache_sz() each. (v3 checks and tops up per split inside the walk,
 * dropping mmu_lock; the model tops up once, before it, which is the same number of
 * pages for 2M leaves.) */
export function tdx_split_cache_topup_v3(kvm: kvm): number {
  return 2 * tdx_min_split_cache_sz(kvm, PG_LEVEL_2M);
}

/** The split cache as v3 locks it: topped up before mmu_lock, dequeued under
 * prealloc_split_cache_lock in tdx_sept_split_private_spte(). */
export const tdx_prealloc_split_cache: Pick<kvm_functions, 'tdx_split_cache_prepare' | 'tdx_split_cache_take' | 'tdx_split_cache_release'> = {
  tdx_split_cache_prepare: (kvm, pages) => tdx_topup_vm_split_cache(kvm, pages),
  async tdx_split_cache_take(kvm, n, gfn) {
    await spin_lock(kvm.tdx.prealloc_split_cache_lock);
    const got = tdx_alloc_pamt_pages(kvm, prealloc_split_cache(kvm), n, gfn);
    await spin_unlock(kvm.tdx.prealloc_split_cache_lock);
    return got;
  },
  async tdx_split_cache_release() {},
};
