// Zapping leaf SPTEs (arch/x86/kvm/mmu/tdp_mmu.c). A leaf that only partly overlaps
// the range is zapped whole: on the mirror root that removes private memory outside
// the range unless the caller split the boundary leaves first.
import { KVM_FILTER_PRIVATE, KVM_FILTER_SHARED, type kvm_gfn_range } from './gfn_range.ts';
import { lockdep_assert_held_write, rcu_read_lock, rcu_read_unlock } from './kernel.ts';
import { ROOTS, type kvm } from './kvm.ts';
import { KVM_PAGES_PER_HPAGE, PG_LEVEL_4K, type gfn_t } from './levels.ts';
import type { kvm_mmu_page } from './mmu_page.ts';
import { is_last_spte, is_shadow_present_pte, SHADOW_NONPRESENT_VALUE } from './spte.ts';
import { for_each_tdp_pte_min_level } from './tdp_iter.ts';
import { for_each_tdp_mmu_root_yield_safe, KVM_DIRECT_ROOTS, KVM_MIRROR_ROOTS, KVM_VALID_ROOTS } from './tdp_mmu_roots.ts';
import { spte_name } from './tdp_mmu_spte.ts';
import { fmt_range } from './levels.ts';

// tdp_mmu_max_gfn_exclusive() in arch/x86/kvm/mmu/tdp_mmu.c
export function tdp_mmu_max_gfn_exclusive(kvm: kvm): gfn_t {
  return KVM_PAGES_PER_HPAGE(kvm.arch.root_level + 1);
}

// tdp_mmu_zap_leafs() in arch/x86/kvm/mmu/tdp_mmu.c: returns whether a flush is owed.
export async function tdp_mmu_zap_leafs(kvm: kvm, root: kvm_mmu_page, start: gfn_t, end: gfn_t, can_yield: boolean, flush: boolean): Promise<boolean> {
  end = Math.min(end, tdp_mmu_max_gfn_exclusive(kvm));
  lockdep_assert_held_write(kvm.mmu_lock);
  await rcu_read_lock();
  for (const iter of for_each_tdp_pte_min_level(kvm.stat, root, PG_LEVEL_4K, start, end, { skip_non_present: true })) {
    if (can_yield && (await kvm.call.tdp_mmu_iter_cond_resched(kvm, iter, flush, false))) {
      flush = false;
      continue;
    }
    if (!is_shadow_present_pte(iter.old_spte) || !is_last_spte(iter.old_spte, iter.level)) continue;
    if (kvm.run.tracing) kvm.run.event(`zap ${spte_name(iter.sptep, iter.gfn, iter.level)} covering ${fmt_range(iter.gfn, iter.gfn + KVM_PAGES_PER_HPAGE(iter.level))}, for the range ${fmt_range(start, end)}`);
    await kvm.call.tdp_mmu_iter_set_spte(kvm, iter, SHADOW_NONPRESENT_VALUE);
    // Zapping SPTEs in invalid roots doesn't require a TLB flush.
    kvm.run.touch(ROOTS.read);
    if (!root.role.invalid) flush = true;
  }
  await rcu_read_unlock();
  return flush;
}

// kvm_gfn_range_filter_to_root_types() in arch/x86/kvm/mmu/tdp_mmu.h
export function kvm_gfn_range_filter_to_root_types(attr_filter: number): number {
  let types = KVM_VALID_ROOTS;
  if ((attr_filter & KVM_FILTER_PRIVATE) !== 0) types |= KVM_MIRROR_ROOTS;
  if ((attr_filter & KVM_FILTER_SHARED) !== 0) types |= KVM_DIRECT_ROOTS;
  return types;
}

// kvm_tdp_mmu_unmap_gfn_range() in arch/x86/kvm/mmu/tdp_mmu.c
export async function kvm_tdp_mmu_unmap_gfn_range(kvm: kvm, range: kvm_gfn_range, flush: boolean): Promise<boolean> {
  const types = kvm_gfn_range_filter_to_root_types(range.attr_filter);
  for await (const root of for_each_tdp_mmu_root_yield_safe(kvm, types)) {
    flush = await kvm.call.tdp_mmu_zap_leafs(kvm, root, range.start, range.end, range.may_block, flush);
  }
  return flush;
}
