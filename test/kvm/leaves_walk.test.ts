import { describe, expect, it } from 'vitest';
import { is_frozen_spte, is_last_spte, kvm_mirror_root, KVM_PAGES_PER_HPAGE, type kvm_mmu_page, PG_LEVEL_2M, PG_LEVEL_4K, SPTE_INDEX, spte_to_child_sp, tdp_mmu_leaves, tdx_premap_private } from './kvm_test_api.ts';
import { P1G, run_once } from './helpers.ts';

/** The walk as nested generators over sp.entries() (what tdp_mmu_leaves() was). */
function* nested(sp: kvm_mmu_page, start: number, end: number): IterableIterator<{ gfn: number; level: number; spte: unknown }> {
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
      if (child !== null) yield* nested(child, start, end);
    }
  }
}

describe('tdp_mmu_leaves()', () => {
  it('lists the leaves the nested walk lists, over ranges that cut tables', async () => {
    const { kvm } = await run_once({
      invariants: false,
      setup(vm) {
        tdx_premap_private(vm, 0x200, PG_LEVEL_2M);
        for (let g = 0x400; g < 0x600; g += 3) tdx_premap_private(vm, g, PG_LEVEL_4K);
        tdx_premap_private(vm, P1G + 0x600, PG_LEVEL_2M);
        tdx_premap_private(vm, 3 * P1G + 5, PG_LEVEL_4K);
      },
    });
    const root = kvm_mirror_root(kvm);
    for (const [lo, hi] of [
      [0, 4 * P1G],
      [0x201, 0x401],
      [0x410, 0x500],
      [0x5ff, P1G + 0x601],
      [P1G + 0x800, 3 * P1G + 6],
      [3 * P1G + 6, 4 * P1G],
    ] as const) {
      expect([...tdp_mmu_leaves(root, lo, hi)]).toEqual([...nested(root, lo, hi)]);
    }
    expect([...tdp_mmu_leaves(root, 0, 4 * P1G)].length).toBe(1 + Math.ceil(0x200 / 3) + 2);
  });
});
