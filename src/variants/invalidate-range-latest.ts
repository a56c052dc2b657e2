// kvm_mmu_invalidate_range_add() keeping only the latest range: a realistic slip, not
// a posted patch. With guest_memfd, an invalidation's begin and its ranges are
// decoupled (kvm_mmu_invalidate_begin() once, then kvm_mmu_invalidate_range_add() per
// binding or attribute range), and the TDX huge page series and RFC v5 split and zap
// from callers that are not vCPUs and take different outer locks: Yan Zhao (Re: [RFC
// PATCH v5 44/45], Wed, 11 Feb 2026) wants the split "called by
// kvm_gmem_set_attributes() for private-to-shared conversions, kvm_gmem_punch_hole(),
// or kvm_gmem_error_folio()"; KVM_SET_MEMORY_ATTRIBUTES holds kvm->slots_lock,
// PUNCH_HOLE filemap_invalidate_lock. So two invalidations can be in progress at once.
// A range_add() that stores its range instead of widening the one in progress makes
// mmu_invalidate_retry_gfn() forget the first invalidation's GFNs while it is still
// in progress: a vCPU fault that looked up a private PFN before the conversion began
// maps it after the conversion zapped, and the GFN ends up shared with a private
// S-EPT leaf. Upstream keeps the union (virt/kvm/kvm_main.c: "Fully tracking multiple
// concurrent ranges has diminishing returns. Keep things simple and just find the
// minimal range which includes the current and new ranges."). The bug needs three
// threads: one invalidation alone sets the range right.
import { lockdep_assert_held_write, WARN_ON } from '../kernel/index.ts';
import { fmt_range } from '../kvm/index.ts';
import { v5_44_fixed } from './v5-44-fixed.ts';
import { variant } from './variant.ts';

export const invalidate_range_latest = variant({
  name: 'invalidate-range-latest',
  description: 'kvm_mmu_invalidate_range_add() stores the latest range instead of widening the one in progress: a second concurrent invalidation hides the first from faults',
  cites: [
    { subject: 'Re: [RFC PATCH v5 44/45] KVM: x86/mmu: Add support for splitting S-EPT hugepages on conversion', author: 'Yan Zhao', date: 'Wed, 11 Feb 2026', what: 'the split (and its invalidation) from kvm_gmem_set_attributes(), kvm_gmem_punch_hole() and kvm_gmem_error_folio(), not from a vCPU' },
    { subject: 'kvm_mmu_invalidate_range_add() in virt/kvm/kvm_main.c', author: 'upstream KVM', date: 'current upstream', what: 'concurrent ranges are merged into the minimal range covering them ("Fully tracking multiple concurrent ranges has diminishing returns")' },
  ],
  base: v5_44_fixed,
  overrides: {
    // kvm_mmu_invalidate_range_add() in virt/kvm/kvm_main.c, without the min/max merge
    kvm_mmu_invalidate_range_add(kvm, start, end) {
      lockdep_assert_held_write(kvm.mmu_lock);
      WARN_ON(kvm.mmu_invalidate_in_progress === 0, 'kvm_mmu_invalidate_range_add() outside an invalidation');
      kvm.mmu_invalidate_range_start = start;
      kvm.mmu_invalidate_range_end = end;
      if (kvm.run.tracing) kvm.run.event(`mmu_invalidate_range_add ${fmt_range(start, end)}: invalidating ${fmt_range(start, end)}`);
      kvm.model.bump();
    },
  },
});
