// Choosing the mapping level of a fault (arch/x86/kvm/mmu/mmu.c): no larger than the
// fault allows (folio order, the TD's accept level) and only over a range whose
// attributes all match the fault (the kernel's lpage_info "mixed" flags, read here
// straight from the attributes).
import { KVM_MEMORY_ATTRIBUTE_PRIVATE, type kvm } from './kvm.ts';
import { gfn_round_for_level, KVM_PAGES_PER_HPAGE, PG_LEVEL_4K } from './levels.ts';
import type { kvm_page_fault } from './mmu.ts';

// kvm_mmu_max_mapping_level() in arch/x86/kvm/mmu/mmu.c
export function kvm_mmu_max_mapping_level(kvm: kvm, fault: kvm_page_fault): number {
  const slot = kvm.memslot;
  const attrs = fault.is_private ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0;
  for (let level = fault.max_level; level > PG_LEVEL_4K; level--) {
    const start = gfn_round_for_level(fault.gfn, level);
    const end = start + KVM_PAGES_PER_HPAGE(level);
    if (start < slot.base_gfn || end > slot.base_gfn + slot.npages) continue;
    if (kvm.call.kvm_range_has_memory_attributes(kvm, start, end, KVM_MEMORY_ATTRIBUTE_PRIVATE, attrs)) return level;
  }
  return PG_LEVEL_4K;
}

// kvm_mmu_hugepage_adjust() in arch/x86/kvm/mmu/mmu.c
export function kvm_mmu_hugepage_adjust(kvm: kvm, fault: kvm_page_fault): void {
  fault.goal_level = PG_LEVEL_4K;
  if (fault.max_level === PG_LEVEL_4K) return;
  fault.req_level = kvm.call.kvm_mmu_max_mapping_level(kvm, fault);
  if (fault.req_level === PG_LEVEL_4K) return;
  fault.goal_level = fault.req_level;
}
