// The KVM TDX model: what scenarios and patch variants use.
export * from './levels.ts';
export * from './spte.ts';
export { kvm_mmu_page, is_mirror_sp, is_mirror_sptep, type kvm_mmu_page_role, type tdp_ptep_t } from './mmu_page.ts';
export { tdp_iter, for_each_tdp_pte, for_each_tdp_pte_min_level } from './tdp_iter.ts';
export { interval_map, range_subtract } from './interval_map.ts';
export * from './errno.ts';
export type { kvm, kvm_arch, kvm_tdx, kvm_vm_stat, kvm_memory_slot } from './kvm.ts';
export { INVALID_GPA, KVM_MEMORY_ATTRIBUTE_PRIVATE, kvm_mirror_root, kvm_direct_root, to_kvm_tdx } from './kvm.ts';
export type { kvm_tdx_hooks, tdx_split_cache_ops } from './hooks.ts';
export { default_kvm_tdx_hooks } from './defaults.ts';
export { kvm_create_vm, kvm_gmem_of, kvm_vcpu_thread, type kvm_create_vm_opts } from './vm.ts';
export { tdx_premap_private, kvm_premap_shared, type premap_opts } from './setup.ts';
export { kvm_model, type kvm_model_op } from './model.ts';
export { tracepoint } from './tracepoint.ts';
// State
export { kvm_get_memory_attributes, kvm_mem_is_private, kvm_range_has_memory_attributes, kvm_vm_set_mem_attributes } from './attributes.ts';
export { kvm_gmem, type folio, type gmem_backing, kvm_gmem_get_pfn, kvm_gmem_invalidate_begin, kvm_gmem_invalidate_end, filemap_invalidate_lock, filemap_invalidate_unlock, filemap_invalidate_lock_shared, filemap_invalidate_unlock_shared } from './guest_memfd.ts';
export { tdx_host, tdx_host_of, tdx_pamt_cache, tdx_pamt_get, tdx_pamt_put, tdx_topup_pamt_cache, tdx_alloc_pamt_pages, tdx_dpamt_entry_pages, type tdx_host_opts } from './dpamt.ts';
export * from './tdx_module.ts';
export { kvm_vcpu, kvm_get_running_vcpu, kvm_make_all_cpus_request, tlb_lookup, kvm_vcpu_retry, KVM_REQ_TLB_FLUSH, KVM_REQ_OUTSIDE_GUEST_MODE, type tlb_entry } from './vcpu.ts';
export { tdx_guest, try_accept_one, guest_access } from './guest.ts';
export { kvm_state_hash } from './state_hash.ts';
// Operations
export { kvm_mmu_page_fault, kvm_tdp_page_fault, mmu_topup_memory_caches, RET_PF_CONTINUE, RET_PF_RETRY, RET_PF_FIXED, RET_PF_SPURIOUS, type kvm_page_fault } from './mmu.ts';
export { kvm_tdp_mmu_map } from './tdp_mmu_map.ts';
export { tdp_mmu_split_huge_pages_root, tdp_mmu_split_huge_page, iter_cross_boundary } from './tdp_mmu_split.ts';
export { tdp_mmu_zap_leafs, kvm_tdp_mmu_unmap_gfn_range } from './tdp_mmu_zap.ts';
export { tdp_mmu_set_spte_atomic, tdp_mmu_set_spte, tdp_mmu_iter_set_spte, tdp_mmu_link_sp, handle_changed_spte, kvm_tdp_mmu_write_spte } from './tdp_mmu_spte.ts';
export { kvm_tdp_mmu_get_root, kvm_tdp_mmu_put_root, for_each_tdp_mmu_root_yield_safe, tdp_mmu_root_refs, KVM_DIRECT_ROOTS, KVM_MIRROR_ROOTS, KVM_VALID_ROOTS } from './tdp_mmu_roots.ts';
export { tdp_mmu_walk_gfn, tdp_mmu_leaves } from './tdp_mmu_lookup.ts';
export { kvm_mmu_invalidate_begin, kvm_mmu_invalidate_end, kvm_mmu_invalidate_range_add, mmu_invalidate_retry_gfn, kvm_mmu_unmap_gfn_range, kvm_unmap_gfn_range } from './invalidate.ts';
export { KVM_FILTER_PRIVATE, KVM_FILTER_SHARED, type kvm_gfn_range } from './gfn_range.ts';
export { kvm_flush_remote_tlbs } from './tlb_flush.ts';
export { tdx_track, tdx_sept_set_private_spte, tdx_sept_link_private_spt, tdx_sept_remove_private_spte, tdx_sept_split_private_spte, tdx_min_split_cache_sz } from './tdx_sept.ts';
export { tdx_handle_ept_violation, tdx_handle_mismatched_accept, tdx_split_to_accept_level } from './tdx_exit.ts';
export { tdx_boundary_split_ranges, tdx_split_ranges, tdx_split_boundary_head_tail, tdx_split_cache_topup_boundary, tdx_split_root_mirror, tdx_pamt_cache_mutex, tdx_vm_init_default, type split_range } from './tdx_split.ts';
export { kvm_gmem_punch_hole } from './gmem_punch_hole.ts';
export { kvm_gmem_set_attributes } from './gmem_convert.ts';
export { kvm_gmem_error_folio } from './gmem_error.ts';
// Invariants
export { change_queue } from './invariants/queue.ts';
export { kvm_install_invariants, kvm_invariant_names, type kvm_invariant_name, type kvm_invariant_opts, private_memory_lost, mirror_sept_disagreement, stale_tlb_entry } from './invariants/index.ts';
