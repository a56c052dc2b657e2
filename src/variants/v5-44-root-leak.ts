// RFC v5 44/45's split of the head and tail before a conversion, as posted:
// kvm_arch_gmem_convert() in arch/x86/kvm/mmu/tdp_mmu.c walks the mirror roots and
// returns from inside the root loop when a split fails,
//
//	__for_each_tdp_mmu_root_yield_safe(kvm, root, 0, KVM_MIRROR_ROOTS) {
//		r = tdp_mmu_split_mirror_huge_pages(kvm, root, start, end, PG_LEVEL_4K);
//		if (r)
//			return r;
//	}
//
// and the loop puts a root only when it moves past it, so the reference taken on the
// mirror root leaks when tdp_mmu_alloc_sp_for_split() fails (-ENOMEM). Sean
// Christopherson, Thu, 29 Jan 2026 07:39:27 -0800: "This needs to call
// kvm_tdp_mmu_put_root() on failure." The fix is v5-44-root-put.
import { for_each_tdp_mmu_root_yield_safe, KVM_MIRROR_ROOTS, tdx_boundary_split_ranges, type kvm_functions } from '../kvm/index.ts';
import { v5_44_fixed } from './v5-44-fixed.ts';
import { variant } from './variant.ts';

const cites = [
  { subject: '[RFC PATCH v5 44/45] KVM: x86/mmu: Add support for splitting S-EPT hugepages on conversion', author: 'Sean Christopherson', date: 'Wed, 28 Jan 2026 17:15:16 -0800', what: 'kvm_arch_gmem_convert(): return r from inside __for_each_tdp_mmu_root_yield_safe()' },
  { subject: 'Re: [RFC PATCH v5 44/45] KVM: x86/mmu: Add support for splitting S-EPT hugepages on conversion', author: 'Sean Christopherson', date: 'Thu, 29 Jan 2026 07:39:27 -0800', what: '"This needs to call kvm_tdp_mmu_put_root() on failure."' },
];

/** kvm_arch_gmem_convert()'s root loop; `put_on_failure` is the fix from review. */
function gmem_convert_split(put_on_failure: boolean): kvm_functions['kvm_split_boundary_leafs'] {
  return async (kvm, _root, start, end) => {
    for await (const root of for_each_tdp_mmu_root_yield_safe(kvm, KVM_MIRROR_ROOTS)) {
      // tdp_mmu_split_mirror_huge_pages(): the head and the tail, each split once.
      const r = await kvm.call.tdx_split_ranges(kvm, root, tdx_boundary_split_ranges(start, end));
      if (r !== 0) {
        if (put_on_failure) await kvm.call.kvm_tdp_mmu_put_root(kvm, root);
        return r;
      }
    }
    return 0;
  };
}

export const v5_44_root_leak = variant({
  name: 'v5-44-root-leak',
  description: 'RFC v5 44/45 as posted: kvm_arch_gmem_convert() returns from inside the mirror-root loop when a split fails, keeping the root reference',
  cites,
  base: v5_44_fixed,
  overrides: { kvm_split_boundary_leafs: gmem_convert_split(false) },
});

export const v5_44_root_put = variant({
  name: 'v5-44-root-put',
  description: 'RFC v5 44/45 with kvm_tdp_mmu_put_root() before returning a failed split from the mirror-root loop, as review asked',
  cites,
  base: v5_44_fixed,
  overrides: { kvm_split_boundary_leafs: gmem_convert_split(true) },
});
