// arch/x86/kvm/mmu/mmu.c
// The vCPU fault path down to the TDP MMU (arch/x86/kvm/mmu/mmu.c): top up the caches
// outside mmu_lock, look up the PFN, then map under read_lock(mmu_lock) unless an
// invalidation raced with the lookup.
import { gfn_round_for_level, type gfn_t, KVM_MAX_HUGEPAGE_LEVEL, kvm_max_level_for_order, KVM_PAGES_PER_HPAGE, type kvm_pfn_t, PG_LEVEL_4K, PT64_ROOT_MAX_LEVEL } from '../../include/asm/kvm_host.ts';
import type { kvm_vcpu } from '../x86.ts';
import { is_mirror_sp } from './mmu_internal.ts';
import { is_large_pte, is_shadow_present_pte, spte_to_child_sp, type u64 } from './spte.ts';
import { tdx_dpamt_entry_pages } from '../../virt/vmx/tdx/tdx.ts';
import { EFAULT } from '../../../../include/uapi/asm-generic/errno.ts';
import { type kvm, KVM_FILTER_PRIVATE, KVM_FILTER_SHARED, type kvm_gfn_range, KVM_MEMORY_ATTRIBUTE_PRIVATE, type kvm_memory_slot, KVM_MEMSLOT_INVALID } from '../../../../include/linux/kvm_host.ts';
import { kvm_mmu_topup_memory_cache, lockdep_assert_held_write, read_lock, read_unlock, WARN_ON_ONCE, write_lock, write_unlock } from '../../../../model/kernel.ts';

// enum in arch/x86/kvm/mmu/mmu_internal.h
export const RET_PF_CONTINUE = 0;
export const RET_PF_RETRY = 1;
export const RET_PF_EMULATE = 2;
export const RET_PF_WRITE_PROTECTED = 3;
export const RET_PF_INVALID = 4;
export const RET_PF_FIXED = 5;
export const RET_PF_SPURIOUS = 6;

// struct kvm_page_fault in arch/x86/kvm/mmu/mmu_internal.h
export interface kvm_page_fault {
  readonly gfn: gfn_t;
  readonly is_private: boolean;
  readonly write: boolean;
  /** Largest level the fault may map: the TD's accept level, then the folio's order. */
  max_level: number;
  req_level: number;
  goal_level: number;
  pfn: kvm_pfn_t;
  mmu_seq: number;
  readonly slot: kvm_memory_slot;
  huge_page_disallowed: boolean;
}

/** Shared (non-private) memory comes from the VMM's address space; the model gives
 * each shared GFN a fixed frame above everything guest_memfd allocates. */
export const SHARED_PFN_BASE = 2 ** 44;

// mmu_topup_memory_caches() in arch/x86/kvm/mmu/mmu.c: may sleep; outside mmu_lock.
export async function mmu_topup_memory_caches(vcpu: kvm_vcpu): Promise<number> {
  const a = vcpu.arch;
  let r = await kvm_mmu_topup_memory_cache(a.mmu_shadow_page_cache, PT64_ROOT_MAX_LEVEL);
  if (r) return r;
  r = await kvm_mmu_topup_memory_cache(a.mmu_external_spt_cache, PT64_ROOT_MAX_LEVEL);
  if (r) return r;
  r = await kvm_mmu_topup_memory_cache(a.mmu_page_header_cache, PT64_ROOT_MAX_LEVEL);
  if (r) return r;
  // kvm_x86_call(topup_external_fault_cache): DPAMT for a 4K page and its tables.
  return vcpu.kvm.call.tdx_topup_pamt_cache(vcpu.pamt_cache, tdx_dpamt_entry_pages(vcpu.kvm.host) * PT64_ROOT_MAX_LEVEL);
}

// kvm_mmu_faultin_pfn() in arch/x86/kvm/mmu/mmu.c
export async function kvm_mmu_faultin_pfn(vcpu: kvm_vcpu, fault: kvm_page_fault): Promise<number> {
  const kvm = vcpu.kvm;
  fault.mmu_seq = kvm.mmu_invalidate_seq;
  // Check for a relevant invalidation before getting the pfn, and before mmu_lock.
  if (kvm.call.mmu_invalidate_retry_gfn_unsafe(kvm, fault.mmu_seq, fault.gfn)) return RET_PF_RETRY;
  // kvm_mmu_prepare_memory_fault_exit(): attributes disagree, userspace must convert.
  if (fault.is_private !== kvm.call.kvm_mem_is_private(kvm, fault.gfn)) return -EFAULT;
  if (!fault.is_private) {
    fault.pfn = SHARED_PFN_BASE + fault.gfn;
    fault.max_level = PG_LEVEL_4K;
    return RET_PF_CONTINUE;
  }
  // Retry the page fault if the gfn hit a memslot that is being deleted or moved.
  // This ensures any existing SPTEs for the old memslot will be zapped before KVM
  // inserts a new one for the gfn.
  if ((fault.slot.flags & KVM_MEMSLOT_INVALID) !== 0) return RET_PF_RETRY;
  const r = await kvm.call.kvm_gmem_get_pfn(kvm, fault.slot, fault.gfn);
  if (typeof r === 'number') return r;
  fault.pfn = r.pfn;
  fault.max_level = Math.min(fault.max_level, kvm_max_level_for_order(r.max_order), KVM_MAX_HUGEPAGE_LEVEL);
  return RET_PF_CONTINUE;
}

// is_page_fault_stale() in arch/x86/kvm/mmu/mmu.c
export function is_page_fault_stale(vcpu: kvm_vcpu, fault: kvm_page_fault): boolean {
  return vcpu.kvm.call.mmu_invalidate_retry_gfn(vcpu.kvm, fault.mmu_seq, fault.gfn);
}

// kvm_tdp_mmu_page_fault() in arch/x86/kvm/mmu/mmu.c
export async function kvm_tdp_mmu_page_fault(vcpu: kvm_vcpu, fault: kvm_page_fault): Promise<number> {
  let r = await vcpu.kvm.call.mmu_topup_memory_caches(vcpu);
  if (r) return r;
  r = await vcpu.kvm.call.kvm_mmu_faultin_pfn(vcpu, fault);
  if (r !== RET_PF_CONTINUE) return r;
  r = RET_PF_RETRY;
  await read_lock(vcpu.kvm.mmu_lock);
  if (!vcpu.kvm.call.is_page_fault_stale(vcpu, fault)) r = await vcpu.kvm.call.kvm_tdp_mmu_map(vcpu, fault);
  await read_unlock(vcpu.kvm.mmu_lock);
  return r;
}

// kvm_tdp_page_fault() in arch/x86/kvm/mmu/mmu.c
export async function kvm_tdp_page_fault(vcpu: kvm_vcpu, fault: kvm_page_fault): Promise<number> {
  return vcpu.kvm.call.kvm_tdp_mmu_page_fault(vcpu, fault);
}

// kvm_mmu_page_fault() in arch/x86/kvm/mmu/mmu.c (via kvm_mmu_do_page_fault()):
// `max_level` is what the exit allows (for a TD, the guest's accept level).
export async function kvm_mmu_page_fault(vcpu: kvm_vcpu, gfn: gfn_t, is_private: boolean, max_level: number): Promise<number> {
  const kvm = vcpu.kvm;
  // kvm_vcpu_gfn_to_memslot(), under kvm->srcu. No slot: the private fault exits to
  // userspace (kvm_mmu_prepare_memory_fault_exit()).
  const slot = kvm.call.kvm_vcpu_gfn_to_memslot(vcpu, gfn);
  if (slot === null) return -EFAULT;
  const fault: kvm_page_fault = {
    gfn,
    is_private,
    write: true,
    max_level: Math.min(max_level, KVM_MAX_HUGEPAGE_LEVEL),
    req_level: PG_LEVEL_4K,
    goal_level: PG_LEVEL_4K,
    pfn: -1,
    mmu_seq: 0,
    slot,
    huge_page_disallowed: false,
  };
  kvm.stat.faults++;
  const r = await kvm.call.kvm_tdp_page_fault(vcpu, fault);
  if (r === RET_PF_RETRY) kvm.stat.fault_retries++;
  return r;
}

// Choosing the mapping level of a fault (arch/x86/kvm/mmu/mmu.c): no larger than the
// fault allows (folio order, the TD's accept level) and only over a range whose
// attributes all match the fault (the kernel's lpage_info "mixed" flags, read here
// straight from the attributes).

// kvm_mmu_max_mapping_level() in arch/x86/kvm/mmu/mmu.c
export function kvm_mmu_max_mapping_level(kvm: kvm, fault: kvm_page_fault): number {
  const slot = fault.slot;
  const attrs = fault.is_private ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0;
  for (let level = fault.max_level; level > PG_LEVEL_4K; level--) {
    const start = gfn_round_for_level(fault.gfn, level);
    const end = start + KVM_PAGES_PER_HPAGE(level);
    if (start < slot.base_gfn || end > slot.base_gfn + slot.npages) continue;
    if (kvm.call.kvm_range_has_memory_attributes(kvm, start, end, KVM_MEMORY_ATTRIBUTE_PRIVATE, attrs)) return level;
  }
  return PG_LEVEL_4K;
}

// disallowed_hugepage_adjust() in arch/x86/kvm/mmu/mmu.c: a table already sits where
// the fault would put a huge leaf, and it may not be replaced (hugepage promotion):
// map one level down. For a mirror root always ("[PATCH] KVM: x86/mmu: Prevent
// hugepage promotion for mirror roots in fault path", Rick Edgecombe, in RFC v5 and
// as v3 06/24 "Disallow page merging (huge page adjustment) for mirror root"); the
// model has no NX hugepage workaround. (The PFN needs no patching here: the model's
// fault.pfn is the faulting GFN's own.)
export function disallowed_hugepage_adjust(fault: kvm_page_fault, spte: u64, cur_level: number): void {
  if (cur_level > PG_LEVEL_4K && cur_level === fault.goal_level && is_shadow_present_pte(spte) && !is_large_pte(spte)) {
    const child = spte_to_child_sp(spte);
    if (child !== null && is_mirror_sp(child)) fault.goal_level--;
  }
}

// kvm_mmu_hugepage_adjust() in arch/x86/kvm/mmu/mmu.c
export function kvm_mmu_hugepage_adjust(kvm: kvm, fault: kvm_page_fault): void {
  fault.goal_level = PG_LEVEL_4K;
  if (fault.max_level === PG_LEVEL_4K) return;
  fault.req_level = kvm.call.kvm_mmu_max_mapping_level(kvm, fault);
  if (fault.req_level === PG_LEVEL_4K) return;
  fault.goal_level = fault.req_level;
}

// Memory attributes and memslots on the x86 side (arch/x86/kvm/mmu/mmu.c).

// kvm_arch_pre_set_memory_attributes() in arch/x86/kvm/mmu/mmu.c: zap what the range
// maps on the side it leaves (a range turning shared loses its private mappings, one
// turning private its shared ones); returns whether TLBs need a flush. Upstream does
// not split a huge leaf crossing the range first (v3 15/24 would: "KVM: x86: Split
// cross-boundary mirror leafs for KVM_SET_MEMORY_ATTRIBUTES").
export async function kvm_arch_pre_set_memory_attributes(kvm: kvm, range: kvm_gfn_range): Promise<boolean> {
  if (WARN_ON_ONCE(range.end <= range.start, 'kvm_arch_pre_set_memory_attributes(): empty range')) return false;
  const to_private = ((range.attributes ?? 0) & KVM_MEMORY_ATTRIBUTE_PRIVATE) !== 0;
  return kvm.call.kvm_unmap_gfn_range(kvm, { ...range, attr_filter: to_private ? KVM_FILTER_SHARED : KVM_FILTER_PRIVATE });
}

// kvm_arch_post_set_memory_attributes() in arch/x86/kvm/mmu/mmu.c: updates the
// lpage_info "mixed" flags; the model reads mixed ranges from the attributes
// themselves (kvm_mmu_max_mapping_level()), so there is nothing to update.
export async function kvm_arch_post_set_memory_attributes(kvm: kvm, range: kvm_gfn_range): Promise<boolean> {
  lockdep_assert_held_write(kvm.mmu_lock);
  void range;
  return false;
}

// kvm_arch_flush_shadow_memslot() in arch/x86/kvm/mmu/mmu.c, via kvm_mmu_zap_memslot()
// (a TD zaps only the slot's leaves): under write mmu_lock, private and shared.
export async function kvm_arch_flush_shadow_memslot(kvm: kvm, slot: kvm_memory_slot): Promise<void> {
  const range: kvm_gfn_range = { slot, start: slot.base_gfn, end: slot.base_gfn + slot.npages, may_block: true, attr_filter: KVM_FILTER_PRIVATE | KVM_FILTER_SHARED };
  await write_lock(kvm.mmu_lock);
  const flush = await kvm.call.kvm_unmap_gfn_range(kvm, range);
  // kvm_flush_remote_tlbs_memslot()
  if (flush) await kvm.call.kvm_flush_remote_tlbs(kvm);
  await write_unlock(kvm.mmu_lock);
}
