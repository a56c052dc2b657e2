// The per-VM dispatch: every modeled kernel function that a patch may change, by its
// kernel name. Model code calls them through kvm->call (kvm.call.tdp_mmu_link_sp(...)),
// never by import, so a variant that overrides one (src/variants/variant.ts) changes
// every caller, and no model file imports another's functions (no import cycle).
// Inline helpers from headers (spte.h, tdp_iter.h, level arithmetic) and the TDX
// module's internals are called directly.
import { disallowed_hugepage_adjust, is_page_fault_stale, kvm_arch_flush_shadow_memslot, kvm_arch_post_set_memory_attributes, kvm_arch_pre_set_memory_attributes, kvm_mmu_faultin_pfn, kvm_mmu_hugepage_adjust, kvm_mmu_max_mapping_level, kvm_mmu_page_fault, kvm_tdp_mmu_page_fault, kvm_tdp_page_fault, mmu_topup_memory_caches } from '../arch/x86/kvm/mmu/mmu.ts';
import { external_spte_change, handle_changed_spte, handle_removed_pt, iter_cross_boundary, kvm_lockdep_assert_mmu_lock_held, kvm_mmu_alloc_external_spt, kvm_mmu_page_new, kvm_tdp_mmu_alloc_root, kvm_tdp_mmu_get_root, kvm_tdp_mmu_map, kvm_tdp_mmu_mirrors_split_huge_pages, kvm_tdp_mmu_put_root, kvm_tdp_mmu_unmap_gfn_range, kvm_tdp_mmu_write_spte, kvm_tdp_mmu_zap_sp, kvm_update_page_stats, remove_external_spte, set_external_spte_present, split_external_spte, tdp_account_mmu_page, tdp_mmu_alloc_sp, tdp_mmu_alloc_sp_for_split, __tdp_mmu_alloc_sp_for_split, tdp_mmu_cmpxchg_spte, tdp_mmu_free_sp, tdp_mmu_free_sp_rcu_callback, tdp_mmu_get_root_for_fault, tdp_mmu_init_child_sp, tdp_mmu_iter_cond_resched, tdp_mmu_iter_need_resched, tdp_mmu_iter_set_spte, tdp_mmu_link_sp, tdp_mmu_map_handle_target_level, tdp_mmu_set_spte, __tdp_mmu_set_spte_atomic, tdp_mmu_set_spte_atomic, tdp_mmu_split_huge_page, tdp_mmu_split_huge_pages_root, tdp_mmu_zap_leafs, kvm_tdp_mmu_try_split_huge_pages } from '../arch/x86/kvm/mmu/tdp_mmu.ts';
import { kvm_split_boundary_leafs, tdx_handle_ept_violation, tdx_handle_mismatched_accept, tdx_min_split_cache_sz, tdx_pamt_cache_for, tdx_sept_link_private_spt, tdx_sept_reclaim_private_spt, tdx_sept_remove_private_spte, tdx_sept_set_private_spte, tdx_sept_split_private_spte, tdx_split_cache_prepare, tdx_split_cache_release, tdx_split_cache_take, tdx_split_cache_topup, tdx_split_ranges, tdx_split_to_accept_level, tdx_track, tdx_vm_init, tdh_do_no_vcpus } from '../arch/x86/kvm/vmx/tdx.ts';
import { kvm_make_all_cpus_request, kvm_vcpu_flush_tlb_all, kvm_vcpu_retry, tdx_vcpu_exit, vcpu_enter_guest } from '../arch/x86/kvm/x86.ts';
import { tdh_mem_page_aug, tdh_mem_page_demote, tdh_mem_page_promote, tdh_mem_page_remove, tdh_mem_range_block, tdh_mem_range_unblock, tdh_mem_sept_add, tdh_mem_track, tdh_phymem_pamt_add, tdh_phymem_pamt_remove } from '../arch/x86/virt/vmx/tdx/tdx_module.ts';
import { tdx_alloc_pamt_pages, tdx_pamt_get, tdx_pamt_put, tdx_topup_pamt_cache } from '../arch/x86/virt/vmx/tdx/tdx.ts';
import { __kvm_gmem_invalidate_begin, kvm_gmem_error_folio, kvm_gmem_fallocate, kvm_gmem_get_folio, kvm_gmem_get_pfn, kvm_gmem_invalidate_begin, kvm_gmem_invalidate_end, kvm_gmem_punch_hole, kvm_gmem_set_attributes, split_folio_drop_poisoned, truncate_inode_pages_range } from '../virt/kvm/guest_memfd.ts';
import { __kvm_set_memory_region, kvm_flush_remote_tlbs, kvm_get_memory_attributes, kvm_handle_gfn_range, kvm_mem_is_private, kvm_pre_set_memory_attributes, kvm_set_memory_region, kvm_set_memslot, kvm_swap_active_memslots, kvm_vcpu_gfn_to_memslot, kvm_mmu_invalidate_begin, kvm_mmu_invalidate_end, kvm_mmu_invalidate_range_add, kvm_mmu_unmap_gfn_range, kvm_range_has_memory_attributes, kvm_unmap_gfn_range, kvm_vm_set_mem_attributes, mmu_invalidate_in_range, mmu_invalidate_retry_gfn, mmu_invalidate_retry_gfn_unsafe } from '../virt/kvm/kvm_main.ts';
import { kvm_create_vm as __kvm_create_vm, type kvm_create_vm_opts } from '../virt/kvm/kvm_main.ts';
import type { Run } from '../../engine/index.ts';
import type { kvm } from '../include/linux/kvm_host.ts';

/** The model's functions as upstream (or the latest posted series) has them. */
export const upstream = Object.freeze({
  // attributes
  kvm_arch_post_set_memory_attributes,
  kvm_arch_pre_set_memory_attributes,
  kvm_get_memory_attributes,
  kvm_handle_gfn_range,
  kvm_mem_is_private,
  kvm_pre_set_memory_attributes,
  kvm_range_has_memory_attributes,
  kvm_vm_set_mem_attributes,
  // memslots
  __kvm_set_memory_region,
  kvm_arch_flush_shadow_memslot,
  kvm_set_memory_region,
  kvm_set_memslot,
  kvm_swap_active_memslots,
  kvm_vcpu_gfn_to_memslot,
  // dpamt
  tdx_alloc_pamt_pages,
  tdx_pamt_get,
  tdx_pamt_put,
  tdx_topup_pamt_cache,
  // gmem_convert
  kvm_gmem_set_attributes,
  // gmem_error
  kvm_gmem_error_folio,
  split_folio_drop_poisoned,
  // gmem_punch_hole
  kvm_gmem_fallocate,
  kvm_gmem_punch_hole,
  truncate_inode_pages_range,
  // guest_memfd
  __kvm_gmem_invalidate_begin,
  kvm_gmem_get_folio,
  kvm_gmem_get_pfn,
  kvm_gmem_invalidate_begin,
  kvm_gmem_invalidate_end,
  // invalidate
  kvm_mmu_invalidate_begin,
  kvm_mmu_invalidate_end,
  kvm_mmu_invalidate_range_add,
  kvm_mmu_unmap_gfn_range,
  kvm_unmap_gfn_range,
  mmu_invalidate_in_range,
  mmu_invalidate_retry_gfn,
  mmu_invalidate_retry_gfn_unsafe,
  // mmu
  is_page_fault_stale,
  kvm_mmu_faultin_pfn,
  kvm_mmu_page_fault,
  kvm_tdp_mmu_page_fault,
  kvm_tdp_page_fault,
  mmu_topup_memory_caches,
  // mmu_hugepage
  disallowed_hugepage_adjust,
  kvm_mmu_hugepage_adjust,
  kvm_mmu_max_mapping_level,
  // tdp_mmu_alloc
  __tdp_mmu_alloc_sp_for_split,
  kvm_mmu_alloc_external_spt,
  kvm_mmu_page_new,
  tdp_mmu_alloc_sp,
  tdp_mmu_free_sp,
  tdp_mmu_free_sp_rcu_callback,
  tdp_mmu_init_child_sp,
  // tdp_mmu_map
  kvm_tdp_mmu_map,
  tdp_mmu_get_root_for_fault,
  tdp_mmu_map_handle_target_level,
  // tdp_mmu_resched
  tdp_mmu_iter_cond_resched,
  tdp_mmu_iter_need_resched,
  // tdp_mmu_roots
  kvm_tdp_mmu_alloc_root,
  kvm_tdp_mmu_get_root,
  kvm_tdp_mmu_put_root,
  // tdp_mmu_split
  iter_cross_boundary,
  kvm_lockdep_assert_mmu_lock_held,
  kvm_tdp_mmu_mirrors_split_huge_pages,
  kvm_tdp_mmu_try_split_huge_pages,
  tdp_mmu_alloc_sp_for_split,
  tdp_mmu_split_huge_page,
  tdp_mmu_split_huge_pages_root,
  // tdp_mmu_spte
  __tdp_mmu_set_spte_atomic,
  external_spte_change,
  handle_changed_spte,
  handle_removed_pt,
  kvm_tdp_mmu_write_spte,
  kvm_update_page_stats,
  remove_external_spte,
  set_external_spte_present,
  split_external_spte,
  tdp_account_mmu_page,
  tdp_mmu_cmpxchg_spte,
  tdp_mmu_iter_set_spte,
  tdp_mmu_link_sp,
  tdp_mmu_set_spte,
  tdp_mmu_set_spte_atomic,
  // tdp_mmu_zap
  kvm_tdp_mmu_unmap_gfn_range,
  kvm_tdp_mmu_zap_sp,
  tdp_mmu_zap_leafs,
  // tdx_exit
  tdx_handle_ept_violation,
  tdx_handle_mismatched_accept,
  tdx_split_to_accept_level,
  // tdx_module
  tdh_mem_page_aug,
  tdh_mem_page_demote,
  tdh_mem_page_promote,
  tdh_mem_page_remove,
  tdh_mem_range_block,
  tdh_mem_range_unblock,
  tdh_mem_sept_add,
  tdh_mem_track,
  // tdx_module_pamt
  tdh_phymem_pamt_add,
  tdh_phymem_pamt_remove,
  // tdx_sept
  tdh_do_no_vcpus,
  tdx_min_split_cache_sz,
  tdx_pamt_cache_for,
  tdx_sept_link_private_spt,
  tdx_sept_reclaim_private_spt,
  tdx_sept_remove_private_spte,
  tdx_sept_set_private_spte,
  tdx_sept_split_private_spte,
  tdx_track,
  // tdx_split
  kvm_split_boundary_leafs,
  tdx_split_cache_prepare,
  tdx_split_cache_release,
  tdx_split_cache_take,
  tdx_split_cache_topup,
  tdx_split_ranges,
  tdx_vm_init,
  // tlb_flush
  kvm_flush_remote_tlbs,
  // vcpu
  kvm_make_all_cpus_request,
  kvm_vcpu_flush_tlb_all,
  kvm_vcpu_retry,
  tdx_vcpu_exit,
  vcpu_enter_guest,
});

/** Every dispatched function by kernel name, with its signature. */
export type kvm_functions = typeof upstream;

/** A function's kernel name. */
export type kvm_function_name = keyof kvm_functions;

/** The VM whose dispatch a call with these arguments goes through: the first argument
 * when it is a VM, else its `kvm` (a vCPU, a guest_memfd); null for calls on objects
 * outside any VM (a TDX module TD, a PAMT cache), which take upstream's version. */
function vm_of(first: unknown): { readonly call: kvm_functions } | null {
  if (typeof first !== 'object' || first === null) return null;
  if ('call' in first && 'mmu_lock' in first) return first as { readonly call: kvm_functions };
  const kvm = (first as { kvm?: unknown }).kvm;
  return typeof kvm === 'object' && kvm !== null && 'call' in kvm ? (kvm as { readonly call: kvm_functions }) : null;
}

/** What 'septcheck' exports under each kernel name: a call through the dispatch of
 * the VM its first argument belongs to, so a scenario (or a variant) that calls
 * kvm_gmem_set_attributes(gmem, ...) runs the variant's version. */
export const dispatching: kvm_functions = Object.freeze(
  Object.fromEntries(
    Object.keys(upstream).map((name) => {
      const f = (...args: unknown[]): unknown => {
        const vm = vm_of(args[0]);
        return ((vm?.call ?? upstream) as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!(...args);
      };
      Object.defineProperty(f, 'name', { value: name });
      return [name, f];
    }),
  ),
) as unknown as kvm_functions;

// kvm_create_vm() in virt/kvm/kvm_main.c: a TD whose functions are `opts.functions`
// (a variant's, variant.fn) or upstream's, with `opts.overrides` on top.
export function kvm_create_vm(run: Run, opts: kvm_create_vm_opts): kvm {
  return __kvm_create_vm(run, opts, upstream);
}
