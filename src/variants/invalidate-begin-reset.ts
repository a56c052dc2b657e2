// kvm_mmu_invalidate_begin() resetting the invalidation range at every begin: a
// realistic slip, not a posted patch, the sibling of invalidate-range-latest. Since
// guest_memfd, a begin no longer carries its range: kvm_mmu_invalidate_begin() marks
// the range empty (INVALID_GPA) and each kvm_mmu_invalidate_range_add() widens it.
// Upstream resets it only for the first invalidation in progress ("if
// (likely(kvm->mmu_invalidate_in_progress == 1))", virt/kvm/kvm_main.c). Reset at every
// begin, a second invalidation that begins while a first is in progress drops the
// first one's GFNs, and its own range_add() then stores just its own: with the
// concurrent non-vCPU invalidations of the TDX huge page series and RFC v5 (Yan Zhao,
// Re: [RFC PATCH v5 44/45], Wed, 11 Feb 2026: kvm_gmem_set_attributes(),
// kvm_gmem_punch_hole(), kvm_gmem_error_folio(); KVM_SET_MEMORY_ATTRIBUTES under
// kvm->slots_lock, PUNCH_HOLE under filemap_invalidate_lock), a vCPU fault that looked
// up a private PFN before a conversion began maps it after the conversion zapped. The
// bug needs three threads: one invalidation alone starts from an empty range anyway.
import { INVALID_GPA } from '../kvm/index.ts';
import { lockdep_assert_held_write } from '../kernel/index.ts';
import { v5_44_fixed } from './v5-44-fixed.ts';
import { variant } from './variant.ts';

export const invalidate_begin_reset = variant({
  name: 'invalidate-begin-reset',
  description: 'kvm_mmu_invalidate_begin() resets the invalidation range at every begin, not only for the first invalidation in progress: a second concurrent invalidation hides the first from faults',
  cites: [
    { subject: 'Re: [RFC PATCH v5 44/45] KVM: x86/mmu: Add support for splitting S-EPT hugepages on conversion', author: 'Yan Zhao', date: 'Wed, 11 Feb 2026', what: 'the split (and its invalidation) from kvm_gmem_set_attributes(), kvm_gmem_punch_hole() and kvm_gmem_error_folio(), not from a vCPU' },
    { subject: 'kvm_mmu_invalidate_begin() in virt/kvm/kvm_main.c', author: 'upstream KVM', date: 'current upstream', what: 'the range is reset only when mmu_invalidate_in_progress goes from 0 to 1' },
  ],
  base: v5_44_fixed,
  overrides: {
    // kvm_mmu_invalidate_begin() in virt/kvm/kvm_main.c, without the in_progress == 1 check
    kvm_mmu_invalidate_begin(kvm) {
      lockdep_assert_held_write(kvm.mmu_lock);
      kvm.mmu_invalidate_in_progress++;
      kvm.mmu_invalidate_range_start = INVALID_GPA;
      kvm.mmu_invalidate_range_end = INVALID_GPA;
      if (kvm.run.tracing) kvm.run.event(`mmu_invalidate_begin: in_progress ${kvm.mmu_invalidate_in_progress}, seq ${kvm.mmu_invalidate_seq}, range reset`);
      kvm.model.bump();
    },
  },
});
