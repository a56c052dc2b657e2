// Knob split_spte_atomic = false: concurrent splitters of one range under shared
// mmu_lock with a "did I split" check instead of an atomic update. Kai Huang asked
// (v3 11/24 review) for a split status; Yan Zhao: "the status could be inaccurate
// when multiple threads are trying to split the same memory range concurrently".
// Only a cmpxchg that fails and retries (tdp_mmu_set_spte_atomic()) makes one
// splitter win and the other find the table.
import { make_nonleaf_spte, is_shadow_present_pte, type kvm, type kvm_functions, type kvm_mmu_page, type tdp_iter } from '../kvm/index.ts';
import { spte_footprint, spte_name } from '../kvm/arch/x86/kvm/mmu/tdp_mmu.ts';

// tdp_mmu_link_sp() in arch/x86/kvm/mmu/tdp_mmu.c, when a split replaces a huge leaf
// under shared mmu_lock: a plain store of the table where the splitter saw the leaf in
// iter->old_spte. A second splitter can do the same in between: the leaf is split
// twice and the first table is lost. (On the normal root; the mirror root splits only
// under write mmu_lock.)
export const tdp_mmu_link_sp_plain_store = (base: kvm_functions) =>
  async function tdp_mmu_link_sp(kvm: kvm, iter: tdp_iter, sp: kvm_mmu_page, shared: boolean): Promise<number> {
    if (!shared || !is_shadow_present_pte(iter.old_spte)) return base.tdp_mmu_link_sp(kvm, iter, sp, shared);
    const spte = make_nonleaf_spte(sp);
    await kvm.run.point({ kind: 'WRITE_ONCE', obj: spte_name(iter.sptep, iter.gfn, iter.level), footprint: spte_footprint(iter.sptep, iter.gfn, iter.level) });
    kvm.call.kvm_tdp_mmu_write_spte(kvm, iter.sptep, iter.gfn, iter.level, spte);
    await kvm.call.handle_changed_spte(kvm, iter.sptep, iter.gfn, iter.old_spte, spte, iter.level, true);
    kvm.call.tdp_account_mmu_page(kvm, sp);
    return 0;
  };
