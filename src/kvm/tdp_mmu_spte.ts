// Changing one SPTE (arch/x86/kvm/mmu/tdp_mmu.c): the atomic path under read
// mmu_lock (cmpxchg, FROZEN_SPTE while the TDX module is updated), the write-locked
// path, and the bookkeeping after any change (handle_changed_spte()).
//
// Model choice: on the mirror root both paths keep the SPTE FROZEN_SPTE across the
// SEAMCALLs that update the S-EPT (upstream's write-locked zap writes
// SHADOW_NONPRESENT_VALUE first). No other thread can tell the difference under the
// write lock, and "mirror and S-EPT agree whenever nothing is frozen" becomes exact.
import type { Footprint } from '../engine/index.ts';
import { EBUSY, EIO } from './errno.ts';
import { call_rcu, KVM_BUG_ON, lockdep_assert_held_read, lockdep_assert_held_write, WARN_ON } from './kernel.ts';
import type { kvm } from './kvm.ts';
import { fmt_gfn, KVM_PAGES_PER_HPAGE, level_name, type gfn_t } from './levels.ts';
import { is_mirror_sptep, type kvm_mmu_page, type tdp_ptep_t } from './mmu_page.ts';
import { FROZEN_SPTE, is_frozen_spte, is_last_spte, is_shadow_present_pte, make_nonleaf_spte, spte_to_child_sp, spte_to_pfn, type leaf_spte, type u64 } from './spte.ts';
import type { tdp_iter } from './tdp_iter.ts';
import { range_write } from './footprint.ts';
import { tlb_entries_in } from './vcpu.ts';

/** Compares two SPTE values as the u64s they stand for. */
export function spte_equal(a: u64, b: u64): boolean {
  if (a === b) return true;
  if (a.tag !== b.tag) return false;
  if (a.tag === 'leaf' && b.tag === 'leaf') return a.pfn === b.pfn && a.large === b.large;
  if (a.tag === 'nonleaf' && b.tag === 'nonleaf') return a.child === b.child;
  return true;
}

/** A write of the SPTE at `sptep` (its key and GFN range, see kvm_mmu_page). */
export function spte_footprint(sptep: tdp_ptep_t, gfn: gfn_t, level: number): Footprint[] {
  return [range_write(`spte:${sptep.sp.role.is_mirror ? 'm' : 'd'}${level}`, gfn, gfn + KVM_PAGES_PER_HPAGE(level))];
}

export function spte_name(sptep: tdp_ptep_t, gfn: gfn_t, level: number): string {
  return `${sptep.sp.role.is_mirror ? 'mirror' : 'direct'}[${fmt_gfn(gfn)} ${level_name(level)}]`;
}

// __kvm_tdp_mmu_write_spte() in arch/x86/kvm/mmu/tdp_iter.h, plus the model's
// tp_spte_write tracepoint (every raw write, FROZEN_SPTE included).
export function kvm_tdp_mmu_write_spte(kvm: kvm, sptep: tdp_ptep_t, gfn: gfn_t, level: number, new_spte: u64): u64 {
  const old_spte = sptep.sp.read(sptep.index);
  sptep.sp.write(sptep.index, new_spte);
  kvm.model.bump();
  kvm.model.tp_spte_write.trace({ sptep, gfn, level, old_spte, new_spte });
  return old_spte;
}

// try_cmpxchg64(rcu_dereference(iter->sptep), &iter->old_spte, new_spte): one
// scheduling point; on failure iter->old_spte gets the current value.
export async function tdp_mmu_cmpxchg_spte(kvm: kvm, iter: tdp_iter, new_spte: u64): Promise<boolean> {
  await kvm.run.point({ kind: 'cmpxchg', obj: spte_name(iter.sptep, iter.gfn, iter.level), footprint: spte_footprint(iter.sptep, iter.gfn, iter.level) });
  const cur = iter.sptep.sp.read(iter.sptep.index);
  if (!spte_equal(cur, iter.old_spte)) {
    iter.old_spte = cur;
    kvm.run.result('-EBUSY');
    return false;
  }
  kvm.call.kvm_tdp_mmu_write_spte(kvm, iter.sptep, iter.gfn, iter.level, new_spte);
  return true;
}

// kvm_update_page_stats() in arch/x86/kvm/mmu/mmu.c
export function kvm_update_page_stats(kvm: kvm, level: number, count: number): void {
  kvm.stat.pages[level] = (kvm.stat.pages[level] ?? 0) + count;
}

// handle_changed_spte() in arch/x86/kvm/mmu/tdp_mmu.c
export function handle_changed_spte(kvm: kvm, sptep: tdp_ptep_t, gfn: gfn_t, old_spte: u64, new_spte: u64, level: number, shared: boolean): void {
  const sp = sptep.sp;
  kvm.model.tp_spte_changed.trace({ sptep, gfn, level, old_spte, new_spte });
  const was_present = is_shadow_present_pte(old_spte);
  const is_present = is_shadow_present_pte(new_spte);
  const was_leaf = was_present && is_last_spte(old_spte, level);
  const is_leaf = is_present && is_last_spte(new_spte, level);
  const pfn_changed = spte_to_pfn(old_spte) !== spte_to_pfn(new_spte);
  if (was_leaf && (!is_leaf || pfn_changed)) {
    // The old translation is gone: whoever did this owes the TLBs a flush.
    const is_private = sp.role.is_mirror;
    kvm.model.retire(is_private, gfn, level, tlb_entries_in(kvm, is_private, gfn, gfn + KVM_PAGES_PER_HPAGE(level)));
    if (!is_present) kvm.stat.zaps++;
  }
  if (was_leaf !== is_leaf) kvm.call.kvm_update_page_stats(kvm, level, is_leaf ? 1 : -1);
  if (was_present && !was_leaf && (is_leaf || !is_present)) kvm.call.handle_removed_pt(kvm, spte_to_child_sp(old_spte)!, shared);
}

// handle_removed_pt() in arch/x86/kvm/mmu/tdp_mmu.c: a table was unlinked; freeze
// every entry (the model marks the table, see kvm_mmu_page.mark_removed()), process the
// present ones, and free the table after a grace period.
export function handle_removed_pt(kvm: kvm, pt: kvm_mmu_page, shared: boolean): void {
  pt.mark_removed();
  const level = pt.role.level;
  for (const [i, old] of [...pt.entries()]) {
    if (is_frozen_spte(old)) continue;
    const gfn = pt.gfn + i * pt.entry_pages;
    const sptep = { sp: pt, index: i };
    kvm.call.kvm_tdp_mmu_write_spte(kvm, sptep, gfn, level, FROZEN_SPTE);
    kvm.call.handle_changed_spte(kvm, sptep, gfn, old, FROZEN_SPTE, level, shared);
  }
  call_rcu(pt, () => kvm.call.tdp_mmu_free_sp_rcu_callback(kvm, pt));
}

// set_external_spte_present() in arch/x86/kvm/mmu/tdp_mmu.c: freeze the mirror SPTE,
// have the TDX module map the page or link the table (or, with v3, split the huge
// leaf), then write the final value (or restore the old one).
export async function set_external_spte_present(kvm: kvm, iter: tdp_iter, new_spte: u64): Promise<number> {
  const old_spte = iter.old_spte;
  // Lock out other updates to the SPTE until the external page table is modified.
  if (!(await kvm.call.tdp_mmu_cmpxchg_spte(kvm, iter, FROZEN_SPTE))) return -EBUSY;
  const ret = await kvm.call.external_spte_change(kvm, iter.gfn, old_spte, new_spte, iter.level);
  kvm.call.kvm_tdp_mmu_write_spte(kvm, iter.sptep, iter.gfn, iter.level, ret === 0 ? new_spte : old_spte);
  return ret;
}

/** The kvm_x86_ops hook a mirror change calls: set_external_spte,
 * link_external_spt, split_external_spt (v3) or remove_external_spte. */
export async function external_spte_change(kvm: kvm, gfn: gfn_t, old_spte: u64, new_spte: u64, level: number): Promise<number> {
  const was_present = is_shadow_present_pte(old_spte);
  const child = spte_to_child_sp(new_spte);
  if (!was_present) {
    if (child !== null) return kvm.call.tdx_sept_link_private_spt(kvm, gfn, level, child);
    if (is_shadow_present_pte(new_spte)) return kvm.call.tdx_sept_set_private_spte(kvm, gfn, level, spte_to_pfn(new_spte));
    return 0;
  }
  if (!is_last_spte(old_spte, level)) {
    KVM_BUG_ON(true, kvm, `mirror non-leaf SPTE changed at ${fmt_gfn(gfn)}: external page tables are not freed while the TD runs`);
    return -EIO;
  }
  if (child !== null) return kvm.call.split_external_spte(kvm, gfn, old_spte, level, child);
  if (!is_shadow_present_pte(new_spte)) return kvm.call.remove_external_spte(kvm, gfn, old_spte, level);
  KVM_BUG_ON(true, kvm, `mirror leaf at ${fmt_gfn(gfn)} changed in place`);
  return -EIO;
}

// remove_external_spte() in arch/x86/kvm/mmu/tdp_mmu.c
export async function remove_external_spte(kvm: kvm, gfn: gfn_t, old_spte: leaf_spte, level: number): Promise<number> {
  lockdep_assert_held_write(kvm.mmu_lock);
  return kvm.call.tdx_sept_remove_private_spte(kvm, gfn, level, old_spte.pfn);
}

// split_external_spte() (v3 "KVM: x86/tdp_mmu: Split S-EPT huge pages"): the mirror
// leaf becomes a table; the S-EPT leaf is demoted in the TDX module.
export async function split_external_spte(kvm: kvm, gfn: gfn_t, old_spte: leaf_spte, level: number, sp: kvm_mmu_page): Promise<number> {
  return kvm.call.tdx_sept_split_private_spte(kvm, gfn, level, old_spte.pfn, sp);
}

// __tdp_mmu_set_spte_atomic() in arch/x86/kvm/mmu/tdp_mmu.c
export async function __tdp_mmu_set_spte_atomic(kvm: kvm, iter: tdp_iter, new_spte: u64): Promise<number> {
  WARN_ON(iter.yielded || is_frozen_spte(iter.old_spte), '__tdp_mmu_set_spte_atomic(): stale or frozen iterator');
  if (is_mirror_sptep(iter.sptep) && !is_frozen_spte(new_spte)) {
    // Users of atomic zapping don't operate on mirror roots.
    if (KVM_BUG_ON(!is_shadow_present_pte(new_spte), kvm, 'atomic zap of a mirror SPTE')) return -EBUSY;
    return kvm.call.set_external_spte_present(kvm, iter, new_spte);
  }
  return (await kvm.call.tdp_mmu_cmpxchg_spte(kvm, iter, new_spte)) ? 0 : -EBUSY;
}

// tdp_mmu_set_spte_atomic() in arch/x86/kvm/mmu/tdp_mmu.c: under read mmu_lock; fails
// with -EBUSY (iter->old_spte refreshed) when another thread changed the SPTE.
export async function tdp_mmu_set_spte_atomic(kvm: kvm, iter: tdp_iter, new_spte: u64): Promise<number> {
  lockdep_assert_held_read(kvm.mmu_lock);
  const old_spte = iter.old_spte;
  const ret = await kvm.call.__tdp_mmu_set_spte_atomic(kvm, iter, new_spte);
  if (ret !== 0) return ret;
  kvm.call.handle_changed_spte(kvm, iter.sptep, iter.gfn, old_spte, new_spte, iter.level, true);
  return 0;
}

// tdp_mmu_set_spte() in arch/x86/kvm/mmu/tdp_mmu.c: under write mmu_lock. On the mirror
// root the TDX module is updated first (a failure there bugs the VM and leaves the
// SPTE as it was). Returns 0 or -errno.
export async function tdp_mmu_set_spte(kvm: kvm, sptep: tdp_ptep_t, old_spte: u64, new_spte: u64, gfn: gfn_t, level: number): Promise<number> {
  lockdep_assert_held_write(kvm.mmu_lock);
  WARN_ON(is_frozen_spte(old_spte) || is_frozen_spte(new_spte), 'tdp_mmu_set_spte(): FROZEN_SPTE under write mmu_lock');
  if (is_mirror_sptep(sptep)) {
    kvm.call.kvm_tdp_mmu_write_spte(kvm, sptep, gfn, level, FROZEN_SPTE);
    const ret = await kvm.call.external_spte_change(kvm, gfn, old_spte, new_spte, level);
    kvm.call.kvm_tdp_mmu_write_spte(kvm, sptep, gfn, level, ret === 0 ? new_spte : old_spte);
    if (ret !== 0) return ret;
  } else {
    kvm.call.kvm_tdp_mmu_write_spte(kvm, sptep, gfn, level, new_spte);
  }
  kvm.call.handle_changed_spte(kvm, sptep, gfn, old_spte, new_spte, level, false);
  return 0;
}

// tdp_mmu_iter_set_spte() in arch/x86/kvm/mmu/tdp_mmu.c
export async function tdp_mmu_iter_set_spte(kvm: kvm, iter: tdp_iter, new_spte: u64): Promise<number> {
  WARN_ON(iter.yielded, 'tdp_mmu_iter_set_spte(): iterator yielded');
  const ret = await kvm.call.tdp_mmu_set_spte(kvm, iter.sptep, iter.old_spte, new_spte, iter.gfn, iter.level);
  if (ret === 0) iter.old_spte = new_spte;
  return ret;
}

// tdp_account_mmu_page() in arch/x86/kvm/mmu/tdp_mmu.c
export function tdp_account_mmu_page(kvm: kvm, sp: kvm_mmu_page): void {
  if (sp.role.level > 0) kvm.stat.pages_tables++;
}

// tdp_mmu_link_sp() in arch/x86/kvm/mmu/tdp_mmu.c: point the entry at `iter` to the
// new table `sp` (atomically under read mmu_lock, else under write mmu_lock).
export async function tdp_mmu_link_sp(kvm: kvm, iter: tdp_iter, sp: kvm_mmu_page, shared: boolean): Promise<number> {
  const spte = make_nonleaf_spte(sp);
  const ret = shared ? await kvm.call.tdp_mmu_set_spte_atomic(kvm, iter, spte) : await kvm.call.tdp_mmu_iter_set_spte(kvm, iter, spte);
  if (ret !== 0) return ret;
  kvm.call.tdp_account_mmu_page(kvm, sp);
  return 0;
}
