// "[PATCH v3 11/24] KVM: x86/mmu: Introduce kvm_split_cross_boundary_leafs()", Yan
// Zhao, Tue, 6 Jan 2026 18:21 +0800: walk [start, end) with only_cross_boundary,
// splitting each huge leaf that crosses start or end (iter_cross_boundary() in
// src/kvm). It returns no split or flush status: with concurrent splitters "did I
// split" means nothing, so each caller decides how and when to flush.
import { lockdep_assert_once, lockdep_is_held, srcu_read_lock_held } from '../kernel/index.ts';
import {
  EOPNOTSUPP,
  for_each_tdp_mmu_root_yield_safe,
  kvm_tdp_mmu_put_root,
  PG_LEVEL_4K,
  tdp_mmu_split_huge_pages_root,
  type gfn_t,
  type kvm,
  type kvm_gfn_range,
} from '../kvm/index.ts';
import { kvm_lockdep_assert_mmu_lock_held } from '../kvm/arch/x86/kvm/mmu/tdp_mmu.ts';
import { kvm_gfn_range_filter_to_root_types } from '../kvm/arch/x86/kvm/mmu/tdp_mmu.ts';

// The loop v3 has twice (kvm_tdp_mmu_try_split_huge_pages(), which is upstream's in
// src/kvm, and kvm_tdp_mmu_gfn_range_split_cross_boundary_leafs()), as the shared
// helper Kai Huang proposed in review: split every root of `types`.
async function __kvm_tdp_mmu_split_huge_pages(
  kvm: kvm,
  types: number,
  start: gfn_t,
  end: gfn_t,
  target_level: number,
  shared: boolean,
  only_cross_boundary: boolean,
): Promise<number> {
  kvm_lockdep_assert_mmu_lock_held(kvm, shared);
  let r = 0;
  for await (const root of for_each_tdp_mmu_root_yield_safe(kvm, types)) {
    r = await tdp_mmu_split_huge_pages_root(kvm, root, start, end, target_level, shared, only_cross_boundary);
    // Leaving the root loop keeps the root's reference: put it first.
    if (r !== 0) {
      await kvm_tdp_mmu_put_root(kvm, root);
      break;
    }
  }
  return r;
}

// kvm_tdp_mmu_gfn_range_split_cross_boundary_leafs() in arch/x86/kvm/mmu/tdp_mmu.c (v3 11/24)
export async function kvm_tdp_mmu_gfn_range_split_cross_boundary_leafs(kvm: kvm, range: kvm_gfn_range, shared: boolean): Promise<number> {
  const types = kvm_gfn_range_filter_to_root_types(range.attr_filter);
  return __kvm_tdp_mmu_split_huge_pages(kvm, types, range.start, range.end, PG_LEVEL_4K, shared, true);
}

// kvm_split_cross_boundary_leafs() in arch/x86/kvm/mmu/mmu.c (v3 11/24): 0 or -errno;
// never flushes TLBs.
export async function kvm_split_cross_boundary_leafs(kvm: kvm, range: kvm_gfn_range, shared: boolean): Promise<number> {
  lockdep_assert_once(
    kvm.mmu_invalidate_in_progress > 0 || lockdep_is_held(kvm.slots_lock) || srcu_read_lock_held(kvm.srcu),
    'lockdep_assert_once(kvm->mmu_invalidate_in_progress || lockdep_is_held(&kvm->slots_lock) || srcu_read_lock_held(&kvm->srcu))',
  );
  if (!range.may_block) return -EOPNOTSUPP;
  return kvm_tdp_mmu_gfn_range_split_cross_boundary_leafs(kvm, range, shared);
}
