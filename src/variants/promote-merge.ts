// Hugepage promotion of the mirror root in the fault path, as the last series that
// did it posted it: "[PATCH v6 13/16] KVM: x86/tdp_mmu: Try to merge pages into a
// large page" and "[PATCH v6 14/16] KVM: x86/tdp_mmu: TDX: Implement merge pages into
// a large page" (Isaku Yamahata, Tue, 7 Nov 2023). When a fault may map 2M where a
// table of 4K leaves sits, KVM freezes the table's SPTE (under shared mmu_lock),
// blocks the S-EPT entry, flushes (TRACK and kick), and TDH.MEM.PAGE.PROMOTE merges the
// 512 leaves; if the module refuses (some leaves accepted and some pending, or BUSY),
// it unblocks and lets the vCPU retry at 4K. The posted series since disallow it
// (v3 06/24, RFC v5's "Prevent hugepage promotion for mirror roots in fault path"):
// the base model never promotes.
//
// With Dynamic PAMT (not in the 2023 series), the merged range's 4K PAMT goes with the
// leaves: the module frees it and KVM zeroes the region's refcount under pamt_lock,
// the mirror of what v3 does after DEMOTE; the unlinked S-EPT page gives back its
// DPAMT reference when the patch frees the child table at once (tdp_mmu_free_sp()),
// in process context. (It frees the table without an RCU grace period, under shared
// mmu_lock: a walker that read the parent SPTE before the freeze may still be in it.)
// Model choice: a leaf missing below the table is not populated here (the patch AUGs
// it atomically first); the merge then waits (-EAGAIN) for the vCPUs to map it.
import { atomic_set, KVM_BUG_ON, lockdep_assert_held, spin_lock, spin_unlock, WARN_ON_ONCE } from '../kernel/index.ts';
import {
  EAGAIN,
  EBUSY,
  EIO,
  FROZEN_SPTE,
  is_large_pte,
  is_mirror_sptep,
  is_shadow_present_pte,
  make_spte,
  PG_LEVEL_2M,
  PG_LEVEL_4K,
  RET_PF_FIXED,
  RET_PF_RETRY,
  spte_to_child_sp,
  SPTE_ENT_PER_PAGE,
  TDX_SUCCESS,
  tdx_find_pamt_refcount,
  type gfn_t,
  type kvm,
  type kvm_mmu_page,
  type kvm_page_fault,
  type kvm_vcpu,
  type leaf_spte,
  type tdp_iter,
  type u64,
} from '../kvm/index.ts';
import { variant } from './variant.ts';

// tdx_sept_zap_private_spte() in arch/x86/kvm/vmx/tdx.c: TDH.MEM.RANGE.BLOCK.
async function tdx_sept_zap_private_spte(kvm: kvm, gfn: gfn_t, level: number): Promise<number> {
  const err = await kvm.call.tdh_mem_range_block(kvm.tdx.td, gfn, level);
  if (err === 'TDX_OPERAND_BUSY') return -EAGAIN;
  return KVM_BUG_ON(err !== TDX_SUCCESS, kvm, `tdh_mem_range_block(${gfn}) = ${err}`) ? -EIO : 0;
}

// tdx_sept_unzap_private_spte() in arch/x86/kvm/vmx/tdx.c: TDH.MEM.RANGE.UNBLOCK.
async function tdx_sept_unzap_private_spte(kvm: kvm, gfn: gfn_t, level: number): Promise<number> {
  const err = await kvm.call.tdh_mem_range_unblock(kvm.tdx.td, gfn, level);
  return KVM_BUG_ON(err !== TDX_SUCCESS, kvm, `tdh_mem_range_unblock(${gfn}) = ${err}`) ? -EIO : 0;
}

// tdx_sept_merge_private_spt() in arch/x86/kvm/vmx/tdx.c (14/16): PROMOTE; "some pages
// are accepted, some pending" and BUSY make the caller retry. With Dynamic PAMT the
// refcount of the merged 4K range follows the module, under pamt_lock.
async function tdx_sept_merge_private_spt(kvm: kvm, gfn: gfn_t, level: number, pfn: number): Promise<number> {
  lockdep_assert_held(kvm.mmu_lock);
  const host = kvm.host;
  const to_2m = level - 1 === PG_LEVEL_4K && host.pamt.dynamic;
  if (to_2m) await spin_lock(host.pamt_lock);
  const err = await kvm.call.tdh_mem_page_promote(kvm.tdx.td, gfn, level);
  if (err === TDX_SUCCESS && to_2m) {
    host.note_gfn(pfn, gfn);
    await atomic_set(tdx_find_pamt_refcount(host, pfn), 0);
  }
  if (to_2m) await spin_unlock(host.pamt_lock);
  if (err === 'TDX_OPERAND_BUSY' || err === 'TDX_EPT_INVALID_PROMOTE_CONDITIONS') return -EAGAIN;
  return KVM_BUG_ON(err !== TDX_SUCCESS, kvm, `tdh_mem_page_promote(${gfn}) = ${err}`) ? -EIO : 0;
}

// tdp_mmu_merge_private_spt() in arch/x86/kvm/mmu/tdp_mmu.c (13/16): replace the table
// at `iter` with the huge leaf `new_spte`, merging its 4K leaves in the S-EPT.
async function tdp_mmu_merge_private_spt(vcpu: kvm_vcpu, fault: kvm_page_fault, iter: tdp_iter, new_spte: leaf_spte): Promise<number> {
  const kvm = vcpu.kvm;
  const level = iter.level;
  const gfn = iter.gfn;
  const sptep = iter.sptep;
  const old_spte: u64 = iter.old_spte;
  // TDX KVM supports only 2MB large page.
  WARN_ON_ONCE(fault.goal_level !== PG_LEVEL_2M || level !== PG_LEVEL_2M, 'tdp_mmu_merge_private_spt(): not a 2M merge');
  // Freeze the spte to prevent other threads from working spte.
  if (!(await kvm.call.tdp_mmu_cmpxchg_spte(kvm, iter, FROZEN_SPTE))) return -EBUSY;
  const child_sp: kvm_mmu_page = spte_to_child_sp(old_spte)!;
  const restore = (ret: number): number => {
    kvm.call.kvm_tdp_mmu_write_spte(kvm, sptep, gfn, level, old_spte);
    iter.old_spte = old_spte;
    return ret;
  };
  // All child pages are required to be populated, at the huge page's PFNs.
  for (let i = 0; i < SPTE_ENT_PER_PAGE; i++) {
    const child = child_sp.read(i);
    if (!is_shadow_present_pte(child) || child.tag !== 'leaf' || child.pfn !== new_spte.pfn + i) return restore(-EAGAIN);
  }
  // Prevent the Secure-EPT entry from being used.
  let ret = await tdx_sept_zap_private_spte(kvm, gfn, level);
  if (ret !== 0) return restore(ret);
  await kvm.call.kvm_flush_remote_tlbs(kvm);
  // Merge pages into a large page.
  ret = await tdx_sept_merge_private_spt(kvm, gfn, level, new_spte.pfn);
  if (ret !== 0) {
    // Failed to merge pages because some pages are accepted and some are pending.
    // Since the child page was mapped above, let the vCPU run.
    await tdx_sept_unzap_private_spte(kvm, gfn, level);
    return restore(ret);
  }
  // Unfreeze spte.
  iter.old_spte = new_spte;
  kvm.call.kvm_tdp_mmu_write_spte(kvm, sptep, gfn, level, new_spte);
  // Free unused child sp. Secure-EPT page was already freed at TDX level by
  // kvm_x86_merge_private_spt() (its DPAMT reference goes in tdp_mmu_free_sp()).
  kvm.stat.pages_tables--; // tdp_unaccount_mmu_page()
  await kvm.call.tdp_mmu_free_sp(kvm, child_sp);
  return 0;
}

export const promote_merge = variant({
  name: 'promote-merge',
  description: 'Isaku Yamahata v6 13-14/16 (2023): a fault that may map 2M over a table of 4K leaves merges them with TDH.MEM.PAGE.PROMOTE under shared mmu_lock',
  cites: [
    { subject: '[PATCH v6 13/16] KVM: x86/tdp_mmu: Try to merge pages into a large page', author: 'Isaku Yamahata', date: 'Tue, 7 Nov 2023 07:00:40 -0800', what: 'tdp_mmu_merge_private_spt(): freeze, block, flush, merge, unblock on failure' },
    { subject: '[PATCH v6 14/16] KVM: x86/tdp_mmu: TDX: Implement merge pages into a large page', author: 'Isaku Yamahata', date: 'Tue, 7 Nov 2023', what: 'tdx_sept_merge_private_spt(): TDH.MEM.PAGE.PROMOTE, -EAGAIN when some pages are accepted and some pending' },
  ],
  overrides: (base) => ({
    // disallowed_hugepage_adjust() in arch/x86/kvm/mmu/mmu.c before RFC v5's "Prevent
    // hugepage promotion for mirror roots in fault path": a mirror table at the goal
    // level may be replaced by a huge leaf.
    disallowed_hugepage_adjust() {},
    // tdp_mmu_map_handle_target_level() in arch/x86/kvm/mmu/tdp_mmu.c, with 13/16's
    // __tdp_mmu_map_handle_target_level(): a private table at a huge goal level is merged.
    async tdp_mmu_map_handle_target_level(vcpu, fault, iter) {
      const old = iter.old_spte;
      if (!(is_mirror_sptep(iter.sptep) && iter.level > PG_LEVEL_4K && is_shadow_present_pte(old) && !is_large_pte(old))) return base.tdp_mmu_map_handle_target_level(vcpu, fault, iter);
      const new_spte = make_spte(iter.level, fault.pfn - (fault.gfn - iter.gfn));
      return (await tdp_mmu_merge_private_spt(vcpu, fault, iter, new_spte)) === 0 ? RET_PF_FIXED : RET_PF_RETRY;
    },
  }),
});
