// Knobs on the per-VM split cache: a top-up smaller than a split needs, and a top-up
// (GFP_KERNEL, may sleep) where a spinning lock is held.
import { spin_lock, spin_unlock } from '../kernel/index.ts';
import { tdx_dpamt_entry_pages, tdx_topup_pamt_cache, type kvm, type kvm_functions } from '../kvm/index.ts';
import { per_vm_split_cache } from './v3-split-cache.ts';

/** Knob topup_short: tdx_split_cache_topup() asks for one DPAMT pair for the whole
 * operation, the demote's, forgetting the pair for the new S-EPT page ("Need to
 * prepare at least 2 pairs of PAMT pages ... for splitting a S-EPT PG_LEVEL_2M
 * mapping", v3 20/24). */
export function split_cache_topup_one_pair(kvm: kvm): number {
  return tdx_dpamt_entry_pages(kvm.host);
}

/** Where a top-up that may sleep is (wrongly) done. */
export type topup_site = 'mmu_lock' | 'prealloc_split_cache_lock';

/** Knob topup_under: the variant's split cache, topped up while holding `site`:
 * mmu_lock (in tdx_split_cache_take(), which runs under it), or
 * prealloc_split_cache_lock (taken around the top-up in tdx_split_cache_prepare()). */
export function split_cache_topup_under(base: kvm_functions, site: topup_site): Partial<kvm_functions> {
  if (site === 'mmu_lock') {
    return {
      // tdx_split_cache_take() in arch/x86/kvm/vmx/tdx.c, topping up under mmu_lock.
      async tdx_split_cache_take(kvm, n, gfn) {
        await tdx_topup_pamt_cache(per_vm_split_cache(kvm), n);
        return base.tdx_split_cache_take(kvm, n, gfn);
      },
    };
  }
  return {
    // tdx_split_cache_prepare() in arch/x86/kvm/vmx/tdx.c, topping up under prealloc_split_cache_lock.
    async tdx_split_cache_prepare(kvm, pages) {
      await spin_lock(kvm.tdx.prealloc_split_cache_lock);
      const r = await tdx_topup_pamt_cache(per_vm_split_cache(kvm), pages);
      await spin_unlock(kvm.tdx.prealloc_split_cache_lock);
      return r !== 0 ? r : base.tdx_split_cache_prepare(kvm, pages);
    },
  };
}
