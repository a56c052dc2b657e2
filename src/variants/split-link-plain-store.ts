// Knob split_spte_atomic = false: concurrent splitters of one range under shared
// mmu_lock with a "did I split" check instead of an atomic update. Kai Huang asked
// (v3 11/24 review) for a split status; Yan Zhao: "the status could be inaccurate
// when multiple threads are trying to split the same memory range concurrently".
// Only a cmpxchg that fails and retries (tdp_mmu_set_spte_atomic()) makes one
// splitter win and the other find the table.
import { handle_changed_spte, kvm_tdp_mmu_write_spte, kvm_update_page_stats, make_nonleaf_spte, make_small_spte, SPTE_ENT_PER_PAGE, type kvm, type kvm_mmu_page, type leaf_spte, type tdp_iter } from '../kvm/index.ts';
import { spte_footprint, spte_name } from '../kvm/arch/x86/kvm/mmu/tdp_mmu.ts';

// tdp_mmu_split_huge_page() in arch/x86/kvm/mmu/tdp_mmu.c with tdp_mmu_link_sp()'s
// cmpxchg replaced by a plain store under shared mmu_lock: the splitter saw a huge
// leaf in iter->old_spte and stores its table. A second splitter can do the same in
// between: the leaf is split twice and the first table is lost. (On the normal root;
// the mirror root splits only under write mmu_lock.)
export async function tdp_mmu_split_huge_page_plain_store(kvm: kvm, iter: tdp_iter, sp: kvm_mmu_page, shared: boolean): Promise<number> {
  const level = iter.level;
  sp.populate((i) => make_small_spte(iter.old_spte as leaf_spte, level - 1, i));
  if (!shared) {
    const ret = await kvm.call.tdp_mmu_link_sp(kvm, iter, sp, shared);
    if (ret !== 0) return ret;
  } else {
    const spte = make_nonleaf_spte(sp);
    await kvm.run.point({ kind: 'WRITE_ONCE', obj: spte_name(iter.sptep, iter.gfn, level), footprint: spte_footprint(iter.sptep, iter.gfn, level) });
    kvm_tdp_mmu_write_spte(kvm, iter.sptep, iter.gfn, level, spte);
    await handle_changed_spte(kvm, iter.sptep, iter.gfn, iter.old_spte, spte, level, true);
    kvm.stat.pages_tables++; // tdp_account_mmu_page()
  }
  if (kvm.run.tracing) kvm.run.event(`split ${spte_name(iter.sptep, iter.gfn, level)} into ${SPTE_ENT_PER_PAGE} leaves one level down: linked`);
  kvm_update_page_stats(kvm, level - 1, SPTE_ENT_PER_PAGE);
  kvm.stat.splits++;
  return 0;
}
