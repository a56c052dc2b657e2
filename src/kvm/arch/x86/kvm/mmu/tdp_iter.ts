// arch/x86/kvm/mmu/tdp_iter.h and tdp_iter.c
// struct tdp_iter and its walk: arch/x86/kvm/mmu/tdp_iter.c and tdp_iter.h.
//
// A pre-order walk over [start, end) that examines, at every level it visits, each
// entry of the table in range, present or not, exactly as the kernel's iterator
// does. Every entry examined is counted in kvm.stat.spte_visits. With
// `skip_non_present` (for loops whose body `continue`s on non-present SPTEs, i.e.
// every zap and split walk) a run of non-present entries is counted arithmetically
// and stepped over in one go, so the cost stays proportional to what is mapped while
// the count stays the kernel's.
import { gfn_round_for_level, type gfn_t, KVM_PAGES_PER_HPAGE, SPTE_ENT_PER_PAGE, SPTE_INDEX } from '../../include/asm/kvm_host.ts';
import type { kvm_mmu_page, tdp_ptep_t } from './mmu_internal.ts';
import { spte_to_child_sp, type u64 } from './spte.ts';

/** What a walk charges its visits to: kvm.stat. */
export interface kvm_vm_stat_visits {
  spte_visits: number;
}

export interface tdp_walk_opts {
  /** The loop body skips non-present SPTEs: jump over them, counting. */
  readonly skip_non_present?: boolean;
}

// struct tdp_iter in arch/x86/kvm/mmu/tdp_iter.h
export class tdp_iter {
  /** The lowest GFN mapped by the current leaf, or the target GFN. */
  next_last_level_gfn: gfn_t = 0;
  /** next_last_level_gfn when the iterator last yielded (forward progress). */
  yielded_gfn: gfn_t = 0;
  /** Tables on the path from the root, pt_path[level - 1]. */
  readonly pt_path: kvm_mmu_page[] = [];
  sptep!: tdp_ptep_t;
  /** GFN mapped by the current entry. */
  gfn: gfn_t = 0;
  root_level = 0;
  min_level = 0;
  /** The SPTE as last read; updated by a failed tdp_mmu_set_spte_atomic(). */
  old_spte!: u64;
  level = 0;
  valid = false;
  /** Set when the walker dropped mmu_lock: the next step restarts from the root. */
  yielded = false;

  constructor(readonly stat: kvm_vm_stat_visits) {}

  get root(): kvm_mmu_page {
    return this.pt_path[this.root_level - 1]!;
  }
}

// tdp_iter_refresh_sptep() in arch/x86/kvm/mmu/tdp_iter.c
function tdp_iter_refresh_sptep(iter: tdp_iter): void {
  const sp = iter.pt_path[iter.level - 1]!;
  iter.sptep = { sp, index: SPTE_INDEX(iter.gfn, iter.level) };
  iter.old_spte = sp.read(iter.sptep.index);
}

// tdp_iter_restart() in arch/x86/kvm/mmu/tdp_iter.c
export function tdp_iter_restart(iter: tdp_iter): void {
  iter.yielded = false;
  iter.yielded_gfn = iter.next_last_level_gfn;
  iter.level = iter.root_level;
  iter.gfn = gfn_round_for_level(iter.next_last_level_gfn, iter.level);
  tdp_iter_refresh_sptep(iter);
  iter.valid = true;
}

// tdp_iter_start() in arch/x86/kvm/mmu/tdp_iter.c
export function tdp_iter_start(iter: tdp_iter, root: kvm_mmu_page, min_level: number, next_last_level_gfn: gfn_t): void {
  iter.next_last_level_gfn = next_last_level_gfn;
  iter.root_level = root.role.level;
  iter.min_level = min_level;
  iter.pt_path[iter.root_level - 1] = root;
  tdp_iter_restart(iter);
}

// try_step_down() in arch/x86/kvm/mmu/tdp_iter.c
function try_step_down(iter: tdp_iter): boolean {
  if (iter.level === iter.min_level) return false;
  // Reread the SPTE before stepping down to avoid traversing into page tables
  // that are no longer linked from this entry.
  iter.old_spte = iter.sptep.sp.read(iter.sptep.index);
  const child = spte_to_child_sp(iter.old_spte);
  if (child === null) return false;
  iter.level--;
  iter.pt_path[iter.level - 1] = child;
  iter.gfn = gfn_round_for_level(iter.next_last_level_gfn, iter.level);
  tdp_iter_refresh_sptep(iter);
  return true;
}

// try_step_side() in arch/x86/kvm/mmu/tdp_iter.c
function try_step_side(iter: tdp_iter): boolean {
  if (iter.sptep.index === SPTE_ENT_PER_PAGE - 1) return false;
  iter.gfn += KVM_PAGES_PER_HPAGE(iter.level);
  iter.next_last_level_gfn = iter.gfn;
  iter.sptep = { sp: iter.sptep.sp, index: iter.sptep.index + 1 };
  iter.old_spte = iter.sptep.sp.read(iter.sptep.index);
  return true;
}

// try_step_up() in arch/x86/kvm/mmu/tdp_iter.c
function try_step_up(iter: tdp_iter): boolean {
  if (iter.level === iter.root_level) return false;
  iter.level++;
  iter.gfn = gfn_round_for_level(iter.gfn, iter.level);
  tdp_iter_refresh_sptep(iter);
  return true;
}

// tdp_iter_next() in arch/x86/kvm/mmu/tdp_iter.c
export function tdp_iter_next(iter: tdp_iter): void {
  if (iter.yielded) {
    tdp_iter_restart(iter);
    return;
  }
  if (try_step_down(iter)) return;
  do {
    if (try_step_side(iter)) return;
  } while (try_step_up(iter));
  iter.valid = false;
}

/**
 * Model-only: from a non-present entry, move to the next stored entry the kernel's
 * loop would reach, adding to the count the non-present entries it would examine
 * on the way (each one a loop iteration whose body `continue`s). Stops, like the
 * kernel's loop, at the first entry whose GFN is at or past `end`.
 */
function skip_non_present(iter: tdp_iter, end: gfn_t): void {
  for (;;) {
    const sp = iter.sptep.sp;
    const n = KVM_PAGES_PER_HPAGE(iter.level);
    const i = iter.sptep.index;
    const j = Math.min(sp.next_stored(i), SPTE_ENT_PER_PAGE);
    // Entries i..j-1 are non-present; those below `end` are examined.
    const in_range_end = Math.max(i, Math.min(j, Math.ceil((end - sp.gfn) / n)));
    iter.stat.spte_visits += in_range_end - i;
    if (in_range_end < j || (j < SPTE_ENT_PER_PAGE && sp.gfn + j * n >= end)) {
      // The loop ends on an entry at or past `end`.
      iter.gfn = Math.max(end, sp.gfn + in_range_end * n);
      return;
    }
    if (j < SPTE_ENT_PER_PAGE) {
      iter.gfn = sp.gfn + j * n;
      iter.next_last_level_gfn = iter.gfn;
      iter.sptep = { sp, index: j };
      iter.old_spte = sp.read(j);
      return;
    }
    // Past the last entry of this table: step up, then side, like tdp_iter_next().
    iter.sptep = { sp, index: SPTE_ENT_PER_PAGE - 1 };
    iter.gfn = sp.gfn + (SPTE_ENT_PER_PAGE - 1) * n;
    let stepped = false;
    while (try_step_up(iter)) {
      if (try_step_side(iter)) {
        stepped = true;
        break;
      }
    }
    if (!stepped) {
      iter.valid = false;
      return;
    }
    if (iter.gfn >= end || is_stored(iter)) return;
  }
}

function is_stored(iter: tdp_iter): boolean {
  return iter.sptep.sp.next_stored(iter.sptep.index) === iter.sptep.index;
}

// for_each_tdp_pte_min_level() in arch/x86/kvm/mmu/tdp_iter.h
export function* for_each_tdp_pte_min_level(
  stat: kvm_vm_stat_visits,
  root: kvm_mmu_page,
  min_level: number,
  start: gfn_t,
  end: gfn_t,
  opts: tdp_walk_opts = {},
): Generator<tdp_iter, void, void> {
  const iter = new tdp_iter(stat);
  const skip = opts.skip_non_present === true;
  for (tdp_iter_start(iter, root, min_level, start); iter.valid && iter.gfn < end; tdp_iter_next(iter)) {
    if (skip && !is_stored(iter)) {
      skip_non_present(iter, end);
      if (!(iter.valid && iter.gfn < end)) return;
    }
    stat.spte_visits++;
    yield iter;
  }
}

// for_each_tdp_pte() in arch/x86/kvm/mmu/tdp_iter.h
export function for_each_tdp_pte(
  stat: kvm_vm_stat_visits,
  root: kvm_mmu_page,
  start: gfn_t,
  end: gfn_t,
  opts: tdp_walk_opts = {},
): Generator<tdp_iter, void, void> {
  return for_each_tdp_pte_min_level(stat, root, 1, start, end, opts);
}
