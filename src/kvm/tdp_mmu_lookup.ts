// Model-internal, uncounted lookups of the TDP MMU tree: what the CPU's page walker
// and the invariants read. Not a kernel walk (kernel walks are tdp_iter and count).
import { gfn_round_for_level, KVM_PAGES_PER_HPAGE, SPTE_INDEX, type gfn_t } from './levels.ts';
import type { kvm_mmu_page, tdp_ptep_t } from './mmu_page.ts';
import { is_frozen_spte, is_last_spte, spte_to_child_sp, type leaf_spte } from './spte.ts';

export interface spte_walk {
  /** The leaf mapping the GFN, if any. */
  readonly leaf: leaf_spte | null;
  readonly level: number;
  /** First GFN of the entry the walk ended on. */
  readonly gfn: gfn_t;
  readonly sptep: tdp_ptep_t;
  /** An entry on the path is FROZEN_SPTE. */
  readonly frozen: boolean;
}

/** Walks from `root` to the entry mapping `gfn` (a leaf, or where the walk stops). */
export function tdp_mmu_walk_gfn(root: kvm_mmu_page, gfn: gfn_t): spte_walk {
  let sp = root;
  for (;;) {
    const level = sp.role.level;
    const index = SPTE_INDEX(gfn, level);
    const spte = sp.read(index);
    const sptep = { sp, index };
    const base = gfn_round_for_level(gfn, level);
    if (is_last_spte(spte, level)) return { leaf: spte, level, gfn: base, sptep, frozen: false };
    const child = spte_to_child_sp(spte);
    if (child === null) return { leaf: null, level, gfn: base, sptep, frozen: is_frozen_spte(spte) };
    sp = child;
  }
}

/** Leaves under `root` inside [start, end), in order, with frozen entries reported
 * as leaves with a null SPTE. Cost proportional to what is mapped there. */
export function* tdp_mmu_leaves(root: kvm_mmu_page, start: gfn_t, end: gfn_t): IterableIterator<{ gfn: gfn_t; level: number; spte: leaf_spte | null }> {
  yield* leaves_of(root, start, end);
}

function* leaves_of(sp: kvm_mmu_page, start: gfn_t, end: gfn_t): IterableIterator<{ gfn: gfn_t; level: number; spte: leaf_spte | null }> {
  const level = sp.role.level;
  const n = KVM_PAGES_PER_HPAGE(level);
  const first = start <= sp.gfn ? 0 : SPTE_INDEX(start, level);
  for (const [i, spte] of sp.entries(first)) {
    const gfn = sp.gfn + i * n;
    if (gfn >= end) break;
    if (is_last_spte(spte, level)) yield { gfn, level, spte };
    else if (is_frozen_spte(spte)) yield { gfn, level, spte: null };
    else {
      const child = spte_to_child_sp(spte);
      if (child !== null) yield* leaves_of(child, start, end);
    }
  }
}
