// The correct behaviour at every extension point (hooks.ts).
import type { kvm_tdx_hooks } from './hooks.ts';
import { tdx_split_to_accept_level } from './tdx_exit.ts';
import { tdp_mmu_link_sp } from './tdp_mmu_spte.ts';
import { tdx_pamt_cache_mutex, tdx_split_boundary_head_tail, tdx_split_cache_topup_boundary, tdx_split_root_mirror, tdx_vm_init_default } from './tdx_split.ts';

export function default_kvm_tdx_hooks(): kvm_tdx_hooks {
  return {
    split_root: tdx_split_root_mirror,
    split_before_zap: true,
    split_boundary: tdx_split_boundary_head_tail,
    split_cache_topup: tdx_split_cache_topup_boundary,
    split_cache: tdx_pamt_cache_mutex,
    flush_after_zap: true,
    punch_hole_requires_alignment: true,
    tdx_vm_init: tdx_vm_init_default,
    split_for_accept: tdx_split_to_accept_level,
    split_link_sp: tdp_mmu_link_sp,
  };
}
