// Mapping a fault (arch/x86/kvm/mmu/tdp_mmu.c): walk to the goal level under read
// mmu_lock, linking missing tables, and install the leaf with cmpxchg; for the mirror
// root the TDX module adds the page (AUG) while the SPTE is frozen.
import { KVM_BUG_ON, rcu_read_lock, rcu_read_unlock, WARN_ON } from './kernel.ts';
import { kvm_direct_root, kvm_mirror_root } from './kvm.ts';
import type { kvm_page_fault } from './mmu.ts';
import { RET_PF_FIXED, RET_PF_RETRY, RET_PF_SPURIOUS } from './mmu.ts';
import { is_mirror_sp, is_mirror_sptep, type kvm_mmu_page } from './mmu_page.ts';
import { is_frozen_spte, is_large_pte, is_last_spte, is_shadow_present_pte, make_spte } from './spte.ts';
import { for_each_tdp_pte, type tdp_iter } from './tdp_iter.ts';
import type { kvm_vcpu } from './vcpu.ts';

// tdp_mmu_get_root_for_fault() in arch/x86/kvm/mmu/tdp_mmu.c
export function tdp_mmu_get_root_for_fault(vcpu: kvm_vcpu, fault: kvm_page_fault): kvm_mmu_page {
  return fault.is_private ? kvm_mirror_root(vcpu.kvm) : kvm_direct_root(vcpu.kvm);
}

// tdp_mmu_map_handle_target_level() in arch/x86/kvm/mmu/tdp_mmu.c
export async function tdp_mmu_map_handle_target_level(vcpu: kvm_vcpu, fault: kvm_page_fault, iter: tdp_iter): Promise<number> {
  const kvm = vcpu.kvm;
  if (WARN_ON(iter.level !== fault.goal_level, 'tdp_mmu_map_handle_target_level(): level != goal_level')) return RET_PF_RETRY;
  const old_spte = iter.old_spte;
  if (is_shadow_present_pte(old_spte) && is_last_spte(old_spte, iter.level)) return RET_PF_SPURIOUS;
  const new_spte = make_spte(iter.level, fault.pfn - (fault.gfn - iter.gfn));
  if ((await kvm.call.tdp_mmu_set_spte_atomic(kvm, iter, new_spte)) !== 0) return RET_PF_RETRY;
  // A table was replaced by a huge leaf (never on the mirror root).
  if (is_shadow_present_pte(old_spte) && !is_last_spte(old_spte, iter.level)) await kvm.call.kvm_flush_remote_tlbs(kvm);
  return RET_PF_FIXED;
}

// kvm_tdp_mmu_map() in arch/x86/kvm/mmu/tdp_mmu.c: under read mmu_lock.
export async function kvm_tdp_mmu_map(vcpu: kvm_vcpu, fault: kvm_page_fault): Promise<number> {
  const kvm = vcpu.kvm;
  const root = kvm.call.tdp_mmu_get_root_for_fault(vcpu, fault);
  let ret = RET_PF_RETRY;
  kvm.call.kvm_mmu_hugepage_adjust(kvm, fault);
  await rcu_read_lock();
  for (const iter of for_each_tdp_pte(kvm.stat, root, fault.gfn, fault.gfn + 1)) {
    // If SPTE has been frozen by another thread, just give up and retry.
    if (is_frozen_spte(iter.old_spte)) break;
    if (is_mirror_sptep(iter.sptep) && is_shadow_present_pte(iter.old_spte)) {
      // Model (TDX huge pages): the mirror root is never promoted; a table already at
      // the goal level maps one level down.
      if (iter.level === fault.goal_level && !is_last_spte(iter.old_spte, iter.level)) fault.goal_level--;
      // A huge leaf above the goal level is split by the guest's next ACCEPT, which
      // exits as a size mismatch (tdx_handle_mismatched_accept()), not here.
      else if (iter.level > fault.goal_level && is_large_pte(iter.old_spte)) {
        ret = RET_PF_SPURIOUS;
        break;
      }
    }
    if (iter.level === fault.goal_level) {
      ret = await kvm.call.tdp_mmu_map_handle_target_level(vcpu, fault, iter);
      break;
    }
    // Step down into the lower level page table if it exists.
    if (is_shadow_present_pte(iter.old_spte) && !is_large_pte(iter.old_spte)) continue;
    // The SPTE is either non-present or points to a huge page that needs to be split.
    const sp = await kvm.call.tdp_mmu_alloc_sp(vcpu);
    kvm.call.tdp_mmu_init_child_sp(sp, iter);
    if (is_mirror_sp(sp)) await kvm.call.kvm_mmu_alloc_external_spt(vcpu, sp);
    let r: number;
    if (is_shadow_present_pte(iter.old_spte)) {
      // Don't support large page for mirrored roots (TDX).
      KVM_BUG_ON(is_mirror_sptep(iter.sptep), kvm, 'kvm_tdp_mmu_map(): huge mirror SPTE split in the fault path');
      r = await kvm.call.tdp_mmu_split_huge_page(kvm, iter, sp, true);
    } else {
      r = await kvm.call.tdp_mmu_link_sp(kvm, iter, sp, true);
    }
    // Force the guest to retry if installing an upper level SPTE failed.
    if (r !== 0) {
      await kvm.call.tdp_mmu_free_sp(kvm, sp);
      break;
    }
  }
  await rcu_read_unlock();
  return ret;
}
