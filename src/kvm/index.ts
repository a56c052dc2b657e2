// The KVM TDX model: what scenarios and patch variants use.
export * from './arch/x86/include/asm/kvm_host.ts';
export * from './arch/x86/kvm/mmu/spte.ts';
export { kvm_mmu_page, is_mirror_sp, is_mirror_sptep, type kvm_mmu_page_role, type tdp_ptep_t } from './arch/x86/kvm/mmu/mmu_internal.ts';
export { tdp_iter, for_each_tdp_pte, for_each_tdp_pte_min_level } from './arch/x86/kvm/mmu/tdp_iter.ts';
export { interval_map, range_subtract } from './model/interval_map.ts';
export * from './include/uapi/asm-generic/errno.ts';
export type { kvm, kvm_arch, kvm_tdx, kvm_vm_stat, kvm_memory_slot } from './include/linux/kvm_host.ts';
export { INVALID_GPA, KVM_MEMORY_ATTRIBUTE_PRIVATE, KVM_MEMSLOT_INVALID, kvm_mirror_root, kvm_direct_root, to_kvm_tdx, kvm_memslots, kvm_memslots_in_range, __gfn_to_memslot, kvm_mem_attrs_store } from './include/linux/kvm_host.ts';
export { upstream, dispatching, type kvm_functions, type kvm_function_name } from './model/functions.ts';
export { kvm_gmem_of, kvm_vcpu_thread, KVM_MR_CREATE, KVM_MR_DELETE, type kvm_create_vm_opts, type kvm_memslot_opts, type kvm_userspace_memory_region2, type kvm_mmu_notifier_range } from './virt/kvm/kvm_main.ts';
export { kvm_create_vm } from './model/functions.ts';
export { tdx_premap_private, kvm_premap_shared, kvm_set_attributes_at_setup, type premap_opts } from './model/setup.ts';
export { kvm_model, type kvm_model_op } from './model/model.ts';
export { tracepoint } from './model/tracepoint.ts';
// State
export { kvm_gmem, type folio, type gmem_backing, filemap_invalidate_lock, filemap_invalidate_unlock, filemap_invalidate_lock_shared, filemap_invalidate_unlock_shared } from './virt/kvm/guest_memfd.ts';
export { tdx_host, tdx_host_of, tdx_pamt_cache, tdx_dpamt_entry_pages, tdx_find_pamt_refcount, type tdx_host_opts } from './arch/x86/virt/vmx/tdx/tdx.ts';
export * from './arch/x86/virt/vmx/tdx/tdx_module.ts';
export { kvm_vcpu, kvm_get_running_vcpu, tlb_lookup, KVM_REQ_TLB_FLUSH, KVM_REQ_OUTSIDE_GUEST_MODE, type tlb_entry } from './arch/x86/kvm/x86.ts';
export { tdx_guest, try_accept_one, guest_access } from './arch/x86/coco/tdx/tdx.ts';
export { kvm_state_hash } from './model/state_hash.ts';
// Operations
export { RET_PF_CONTINUE, RET_PF_RETRY, RET_PF_FIXED, RET_PF_SPURIOUS, type kvm_page_fault } from './arch/x86/kvm/mmu/mmu.ts';
export { for_each_tdp_mmu_root_yield_safe, tdp_mmu_root_refs, KVM_DIRECT_ROOTS, KVM_MIRROR_ROOTS, KVM_VALID_ROOTS } from './arch/x86/kvm/mmu/tdp_mmu.ts';
export { tdp_mmu_walk_gfn, tdp_mmu_leaves } from './arch/x86/kvm/mmu/tdp_mmu.ts';
export { KVM_FILTER_PRIVATE, KVM_FILTER_SHARED, type kvm_gfn_range } from './include/linux/kvm_host.ts';
// Invariants
export { change_queue } from './invariants/queue.ts';
export { kvm_install_invariants, kvm_invariant_names, type kvm_invariant_name, type kvm_invariant_opts, private_memory_lost, mirror_sept_disagreement, stale_tlb_entry } from './invariants/index.ts';
export { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE } from './virt/kvm/guest_memfd.ts';
export { tdx_boundary_split_ranges, type split_range } from './arch/x86/kvm/vmx/tdx.ts';
// Every modeled kernel function, by its kernel name, called through the dispatch of
// the VM its first argument belongs to (functions.ts).
import { dispatching } from './model/functions.ts';
export const {
  disallowed_hugepage_adjust,
  external_spte_change,
  handle_changed_spte,
  handle_removed_pt,
  is_page_fault_stale,
  iter_cross_boundary,
  kvm_arch_flush_shadow_memslot,
  kvm_arch_post_set_memory_attributes,
  kvm_arch_pre_set_memory_attributes,
  kvm_flush_remote_tlbs,
  kvm_get_memory_attributes,
  kvm_gmem_error_folio,
  kvm_gmem_fallocate,
  kvm_gmem_get_folio,
  kvm_gmem_get_pfn,
  kvm_gmem_invalidate_begin,
  __kvm_gmem_invalidate_begin,
  kvm_gmem_invalidate_end,
  kvm_gmem_punch_hole,
  kvm_gmem_set_attributes,
  kvm_handle_gfn_range,
  kvm_lockdep_assert_mmu_lock_held,
  kvm_make_all_cpus_request,
  kvm_mem_is_private,
  kvm_mmu_alloc_external_spt,
  kvm_mmu_faultin_pfn,
  kvm_mmu_hugepage_adjust,
  kvm_mmu_invalidate_begin,
  kvm_mmu_invalidate_end,
  kvm_mmu_invalidate_range_add,
  kvm_mmu_max_mapping_level,
  kvm_mmu_page_fault,
  kvm_mmu_page_new,
  kvm_mmu_unmap_gfn_range,
  kvm_pre_set_memory_attributes,
  kvm_range_has_memory_attributes,
  __kvm_set_memory_region,
  kvm_set_memory_region,
  kvm_set_memslot,
  kvm_split_boundary_leafs,
  kvm_swap_active_memslots,
  kvm_tdp_mmu_alloc_root,
  kvm_tdp_mmu_get_root,
  kvm_tdp_mmu_map,
  kvm_tdp_mmu_mirrors_split_huge_pages,
  kvm_tdp_mmu_page_fault,
  kvm_tdp_mmu_put_root,
  kvm_tdp_mmu_try_split_huge_pages,
  kvm_tdp_mmu_unmap_gfn_range,
  kvm_tdp_mmu_zap_sp,
  kvm_tdp_mmu_write_spte,
  kvm_tdp_page_fault,
  kvm_unmap_gfn_range,
  kvm_update_page_stats,
  kvm_vcpu_flush_tlb_all,
  kvm_vcpu_gfn_to_memslot,
  kvm_vcpu_retry,
  kvm_vm_set_mem_attributes,
  mmu_invalidate_in_range,
  mmu_invalidate_retry_gfn,
  mmu_invalidate_retry_gfn_unsafe,
  mmu_topup_memory_caches,
  remove_external_spte,
  set_external_spte_present,
  split_external_spte,
  split_folio_drop_poisoned,
  tdh_do_no_vcpus,
  tdh_mem_page_aug,
  tdh_mem_page_demote,
  tdh_mem_page_promote,
  tdh_mem_page_remove,
  tdh_mem_range_block,
  tdh_mem_range_unblock,
  tdh_mem_sept_add,
  tdh_mem_track,
  tdh_phymem_pamt_add,
  tdh_phymem_pamt_remove,
  tdp_account_mmu_page,
  tdp_mmu_alloc_sp,
  __tdp_mmu_alloc_sp_for_split,
  tdp_mmu_alloc_sp_for_split,
  tdp_mmu_cmpxchg_spte,
  tdp_mmu_free_sp,
  tdp_mmu_free_sp_rcu_callback,
  tdp_mmu_get_root_for_fault,
  tdp_mmu_init_child_sp,
  tdp_mmu_iter_cond_resched,
  tdp_mmu_iter_need_resched,
  tdp_mmu_iter_set_spte,
  tdp_mmu_link_sp,
  tdp_mmu_map_handle_target_level,
  tdp_mmu_set_spte,
  tdp_mmu_set_spte_atomic,
  __tdp_mmu_set_spte_atomic,
  tdp_mmu_split_huge_page,
  tdp_mmu_split_huge_pages_root,
  tdp_mmu_zap_leafs,
  tdx_alloc_pamt_pages,
  tdx_handle_ept_violation,
  tdx_handle_mismatched_accept,
  tdx_min_split_cache_sz,
  tdx_pamt_cache_for,
  tdx_pamt_get,
  tdx_pamt_put,
  tdx_sept_link_private_spt,
  tdx_sept_reclaim_private_spt,
  tdx_sept_remove_private_spte,
  tdx_sept_set_private_spte,
  tdx_sept_split_private_spte,
  tdx_split_cache_prepare,
  tdx_split_cache_release,
  tdx_split_cache_take,
  tdx_split_cache_topup,
  tdx_split_ranges,
  tdx_split_to_accept_level,
  tdx_topup_pamt_cache,
  tdx_track,
  tdx_vcpu_exit,
  tdx_vm_init,
  truncate_inode_pages_range,
  vcpu_enter_guest,
} = dispatching;
