// A mirror SPTE's bookkeeping done before the S-EPT update that may still fail. Sean
// Christopherson's rework on RFC v5 08/45 (Fri, 6 Feb 2026 09:41:38 -0800) makes
// tdp_mmu_set_spte_atomic() freeze the mirror SPTE, call __handle_changed_spte() --
// the tracepoint and kvm_update_page_stats(), then set_external_spte() -- and unfreeze
// to the new SPTE or back to the old one. Yan Zhao, Wed, 11 Feb 2026: it "contains code
// like "kvm_update_page_stats(kvm, level, is_leaf ? 1 : -1);", which may have
// incorrectly updated the stats even if kvm_x86_call(set_external_spte)() fails later
// and the new_spte is never written". Sean, Fri, 13 Feb 2026: "Oof, now _that_ is an
// actual problem", and the fix: the stats (and the tracepoint) after
// set_external_spte() succeeds. A busy TDX module (TDH.MEM.PAGE.AUG: -EBUSY, the fault
// retries) is such a failure.
import { EBUSY, FROZEN_SPTE, is_mirror_sptep, type kvm_functions } from '../kvm/index.ts';
import { lockdep_assert_held_read } from '../kernel/index.ts';
import { v5_44_fixed } from './v5-44-fixed.ts';
import { variant } from './variant.ts';

const cites = [
  { subject: 'Re: [RFC PATCH v5 08/45] KVM: x86/mmu: Propagate mirror SPTE removal to S-EPT in handle_changed_spte()', author: 'Sean Christopherson', date: 'Fri, 6 Feb 2026 09:41:38 -0800', what: 'tdp_mmu_set_spte_atomic(): freeze, __handle_changed_spte() (stats, then set_external_spte()), unfreeze' },
  { subject: 'Re: [RFC PATCH v5 08/45] KVM: x86/mmu: Propagate mirror SPTE removal to S-EPT in handle_changed_spte()', author: 'Yan Zhao', date: 'Wed, 11 Feb 2026', what: 'the stats are updated even when set_external_spte() fails' },
  { subject: 'Re: [RFC PATCH v5 08/45] KVM: x86/mmu: Propagate mirror SPTE removal to S-EPT in handle_changed_spte()', author: 'Sean Christopherson', date: 'Fri, 13 Feb 2026', what: '"now _that_ is an actual problem": the stats after set_external_spte() succeeds' },
];

/** tdp_mmu_set_spte_atomic() as the rework has it; `stats_first` is the bug. */
function set_spte_atomic(stats_first: boolean): (base: kvm_functions) => Partial<kvm_functions> {
  return (base) => ({
    async tdp_mmu_set_spte_atomic(kvm, iter, new_spte) {
      if (!is_mirror_sptep(iter.sptep)) return base.tdp_mmu_set_spte_atomic(kvm, iter, new_spte);
      lockdep_assert_held_read(kvm.mmu_lock);
      const old_spte = iter.old_spte;
      if ((await kvm.call.__tdp_mmu_set_spte_atomic(kvm, iter, FROZEN_SPTE)) !== 0) return -EBUSY;
      // __handle_changed_spte(): the trace and the page stats, and set_external_spte().
      if (stats_first) await kvm.call.handle_changed_spte(kvm, iter.sptep, iter.gfn, old_spte, new_spte, iter.level, true);
      const r = await kvm.call.external_spte_change(kvm, iter.gfn, old_spte, new_spte, iter.level, true);
      if (!stats_first && r === 0) await kvm.call.handle_changed_spte(kvm, iter.sptep, iter.gfn, old_spte, new_spte, iter.level, true);
      // Unfreeze: the new SPTE, or the old one back if the S-EPT update failed.
      kvm.call.kvm_tdp_mmu_write_spte(kvm, iter.sptep, iter.gfn, iter.level, r === 0 ? new_spte : old_spte);
      return r;
    },
  });
}

export const v5_08_stats_first = variant({
  name: 'v5-08-stats-first',
  description: "Sean's rework of v5 08/45: a mirror SPTE's page stats are updated before set_external_spte(), which may still fail (-EBUSY)",
  cites: cites.slice(0, 2),
  base: v5_44_fixed,
  overrides: set_spte_atomic(true),
});

export const v5_08_stats_after = variant({
  name: 'v5-08-stats-after',
  description: "The fix from review: the page stats (and the tracepoint) only once set_external_spte() succeeded",
  cites,
  base: v5_44_fixed,
  overrides: set_spte_atomic(false),
});
