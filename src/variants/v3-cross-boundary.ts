// Yan Zhao's TDX huge pages v3 (Tue, 6 Jan 2026): kvm_split_cross_boundary_leafs()
// (v3-split.ts, 11/24) and its four callers, each owning its TLB flush, since the
// split itself never flushes:
//   PUNCH_HOLE, KVM_SET_MEMORY_ATTRIBUTES2 (16/24) and kvm_gmem_error_folio() (the
//     fourth use case Yan promised in review): split under write mmu_lock, then zap;
//     the flush after the zap covers both (kvm_gmem_invalidate_begin() in src/kvm);
//   the guest's accept level (v3-accept-level.ts, 13/24): no flush at all.
// The per-VM DPAMT cache for splits without a vCPU is v3-split-cache.ts (20/24).
import { KVM_FILTER_PRIVATE, PG_LEVEL_2M, type gfn_t, type kvm, type kvm_gfn_range, type kvm_mmu_page } from '../kvm/index.ts';
import { tdx_honor_guest_accept_level } from './v3-accept-level.ts';
import { kvm_split_cross_boundary_leafs } from './v3-split.ts';
import { tdx_prealloc_split_cache, tdx_split_cache_topup_v3, tdx_vm_init_v3 } from './v3-split-cache.ts';
import { variant } from './variant.ts';

// __kvm_gmem_split_private() in virt/kvm/guest_memfd.c (v3 16/24), the boundary split
// of PUNCH_HOLE, SET_MEMORY_ATTRIBUTES2 and kvm_gmem_error_folio(): under write
// mmu_lock, before their zap, whose TLB flush covers the split too. The roots come
// from the private filter, not from the caller.
export async function __kvm_gmem_split_private(kvm: kvm, _root: kvm_mmu_page, start: gfn_t, end: gfn_t): Promise<number> {
  const gfn_range: kvm_gfn_range = { start, end, slot: kvm.memslot, may_block: true, attr_filter: KVM_FILTER_PRIVATE };
  return kvm_split_cross_boundary_leafs(kvm, gfn_range, false);
}

export const v3_cross_boundary = variant({
  name: 'v3-cross-boundary',
  description:
    "Yan Zhao's TDX huge pages v3: kvm_split_cross_boundary_leafs() walks the whole range with only_cross_boundary; " +
    'four callers own their TLB flushes; per-VM split cache under prealloc_split_cache_lock; PUNCH_HOLE splits unaligned holes',
  cites: [
    { subject: '[PATCH v3 11/24] KVM: x86/mmu: Introduce kvm_split_cross_boundary_leafs()', author: 'Yan Zhao', date: 'Tue, 6 Jan 2026 18:21 +0800', what: 'the only_cross_boundary walk, -EOPNOTSUPP without may_block, no flush status' },
    { subject: '[PATCH v3 13/24] KVM: TDX: Honor the guest\'s accept level contained in an EPT violation', author: 'Yan Zhao', date: 'Tue, 6 Jan 2026 18:22:07 +0800', what: 'tdx_honor_guest_accept_level(): the fault-path caller, no flush' },
    { subject: '[PATCH v3 16/24] KVM: guest_memfd: Split for punch hole and private-to-shared conversion', author: 'Yan Zhao', date: 'Tue, 6 Jan 2026 18:22:50 +0800', what: 'the zapping callers; they flush after the zap' },
    { subject: '[PATCH v3 20/24] KVM: TDX: Implement per-VM external cache for splitting in TDX', author: 'Yan Zhao', date: 'Tue, 6 Jan 2026 18:23:45 +0800', what: 'prealloc_split_cache, prealloc_split_cache_lock, tdx_min_split_cache_sz()' },
    { subject: 'Re: [PATCH v3 11/24] KVM: x86/mmu: Introduce kvm_split_cross_boundary_leafs()', author: 'Yan Zhao', date: 'Mon, 19 Jan 2026 09:28 +0800', what: 'the four use cases; kvm_gmem_error_folio() as the fourth' },
  ],
  overrides: {
    kvm_split_boundary_leafs: __kvm_gmem_split_private,
    tdx_split_cache_topup: tdx_split_cache_topup_v3,
    ...tdx_prealloc_split_cache,
    tdx_split_to_accept_level: tdx_honor_guest_accept_level,
    tdx_vm_init: tdx_vm_init_v3,
  },
  // As posted, PUNCH_HOLE splits unaligned holes; guest_memfd later agreed to reject
  // them on hugetlb/THP backing (Vishal Annapurve, Tue, 20 Jan 2026).
  knobs: { punch_hole_requires_alignment: false },
  // v3 maps private memory at 2M at most: its split cache is sized per 2M split
  // (tdx_min_split_cache_sz() KVM_BUG_ONs on any other level), topped up for a head
  // and a tail 2M leaf (v3-split-cache.ts). A 1G private leaf is a state v3 never
  // creates; its top-up would be two pages short of splitting one across a 2M
  // boundary (1G to 2M, then both 2M blocks to 4K).
  max_private_level: PG_LEVEL_2M,
});
