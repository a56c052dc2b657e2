// Splitting huge leaves (arch/x86/kvm/mmu/tdp_mmu.c): a walk that drops mmu_lock and
// RCU to allocate each new table and then restarts from the root, and the split of
// one leaf into a table of 512 leaves one level down. On the mirror root the TDX
// module splits its leaf too (BLOCK, TRACK, DEMOTE: tdx_sept_split_private_spte()).
import { ENOMEM } from './errno.ts';
import { lockdep_assert_held_read, lockdep_assert_held_write, rcu_read_lock, rcu_read_unlock, read_lock, read_unlock, write_lock, write_unlock } from './kernel.ts';
import { kvm_mirror_root, type kvm } from './kvm.ts';
import { KVM_PAGES_PER_HPAGE, SPTE_ENT_PER_PAGE, type gfn_t } from './levels.ts';
import type { kvm_mmu_page } from './mmu_page.ts';
import { is_large_pte, is_shadow_present_pte, make_small_spte, type leaf_spte } from './spte.ts';
import { for_each_tdp_pte_min_level, type tdp_iter } from './tdp_iter.ts';
import { spte_name } from './tdp_mmu_spte.ts';

// kvm_lockdep_assert_mmu_lock_held() in arch/x86/kvm/mmu/tdp_mmu.c
export function kvm_lockdep_assert_mmu_lock_held(kvm: kvm, shared: boolean): void {
  if (shared) lockdep_assert_held_read(kvm.mmu_lock);
  else lockdep_assert_held_write(kvm.mmu_lock);
}

// tdp_mmu_split_huge_page() in arch/x86/kvm/mmu/tdp_mmu.c
export async function tdp_mmu_split_huge_page(kvm: kvm, iter: tdp_iter, sp: kvm_mmu_page, shared: boolean): Promise<number> {
  const huge_spte = iter.old_spte as leaf_spte;
  const level = iter.level;
  // No need for atomics when writing to sp->spt since the page table has not been
  // linked in yet and thus is not reachable from any other CPU.
  sp.populate((i) => make_small_spte(huge_spte, level - 1, i));
  // Replace the huge spte with a pointer to the populated lower level page table.
  const ret = await kvm.call.tdp_mmu_link_sp(kvm, iter, sp, shared);
  if (kvm.run.tracing) kvm.run.event(`split ${spte_name(iter.sptep, iter.gfn, level)} into ${SPTE_ENT_PER_PAGE} leaves one level down: ${ret === 0 ? 'linked' : `failed (${ret})`}`);
  if (ret !== 0) return ret;
  kvm.call.kvm_update_page_stats(kvm, level - 1, SPTE_ENT_PER_PAGE);
  kvm.stat.splits++;
  return 0;
}

// iter_cross_boundary() (v3 "KVM: Introduce kvm_split_cross_boundary_leafs()")
export function iter_cross_boundary(iter: tdp_iter, start: gfn_t, end: gfn_t): boolean {
  return !(iter.gfn >= start && iter.gfn + KVM_PAGES_PER_HPAGE(iter.level) <= end);
}

// tdp_mmu_alloc_sp_for_split() in arch/x86/kvm/mmu/tdp_mmu.c: drops RCU and mmu_lock
// to allocate with GFP_KERNEL; the walk restarts from the root afterwards.
export async function tdp_mmu_alloc_sp_for_split(kvm: kvm, iter: tdp_iter, root: kvm_mmu_page, shared: boolean): Promise<kvm_mmu_page | null> {
  await rcu_read_unlock();
  if (shared) await read_unlock(kvm.mmu_lock);
  else await write_unlock(kvm.mmu_lock);
  kvm.stat.split_alloc_drops++;
  const sp = await kvm.call.__tdp_mmu_alloc_sp_for_split(kvm, root.role.is_mirror);
  if (shared) await read_lock(kvm.mmu_lock);
  else await write_lock(kvm.mmu_lock);
  await rcu_read_lock();
  iter.yielded = true;
  return sp;
}

// tdp_mmu_split_huge_pages_root() in arch/x86/kvm/mmu/tdp_mmu.c (exported for TDX as
// Sean suggested on v3; `only_cross_boundary` is v3's flag): split every huge leaf
// above `target_level` in [start, end), one level per visit; pre-order traversal
// splits a 1G leaf down to 4K in one walk.
export async function tdp_mmu_split_huge_pages_root(
  kvm: kvm,
  root: kvm_mmu_page,
  start: gfn_t,
  end: gfn_t,
  target_level: number,
  shared: boolean,
  only_cross_boundary: boolean,
): Promise<number> {
  kvm.call.kvm_lockdep_assert_mmu_lock_held(kvm, shared);
  let sp: kvm_mmu_page | null = null;
  await rcu_read_lock();
  for (const iter of for_each_tdp_pte_min_level(kvm.stat, root, target_level + 1, start, end, { skip_non_present: true })) {
    for (;;) {
      // retry:
      if (await kvm.call.tdp_mmu_iter_cond_resched(kvm, iter, false, shared)) break;
      if (!is_shadow_present_pte(iter.old_spte) || !is_large_pte(iter.old_spte)) break;
      if (only_cross_boundary && !kvm.call.iter_cross_boundary(iter, start, end)) break;
      if (sp === null) {
        sp = await kvm.call.tdp_mmu_alloc_sp_for_split(kvm, iter, root, shared);
        if (sp === null) {
          await rcu_read_unlock();
          kvm.run.result('-ENOMEM');
          return -ENOMEM;
        }
        break;
      }
      kvm.call.tdp_mmu_init_child_sp(sp, iter);
      if ((await kvm.call.tdp_mmu_split_huge_page(kvm, iter, sp, shared)) !== 0) continue;
      sp = null;
      break;
    }
  }
  await rcu_read_unlock();
  // It's possible to exit the loop having never used the last sp if, for example,
  // another thread won the race and installed its own sp.
  if (sp !== null) await kvm.call.tdp_mmu_free_sp(kvm, sp);
  return 0;
}

// kvm_tdp_mmu_mirrors_split_huge_pages() in arch/x86/kvm/mmu/tdp_mmu.c ("[PATCH] KVM:
// x86/mmu: Add a TDP MMU API to split hugepages for mirror roots", Sean
// Christopherson, Thu, 29 Jan 2026): split the mirror root, the only one a TD's
// private memory lives in, under write mmu_lock.
export async function kvm_tdp_mmu_mirrors_split_huge_pages(kvm: kvm, start: gfn_t, end: gfn_t, target_level: number): Promise<number> {
  return kvm.call.tdp_mmu_split_huge_pages_root(kvm, kvm_mirror_root(kvm), start, end, target_level, false, false);
}
