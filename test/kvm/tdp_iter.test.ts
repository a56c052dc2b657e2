import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  for_each_tdp_pte_min_level,
  KVM_PAGES_PER_HPAGE,
  kvm_mmu_page,
  make_nonleaf_spte,
  make_spte,
  PG_LEVEL_4K,
  SPTE_INDEX,
  spte_to_child_sp,
  is_shadow_present_pte,
} from '../../src/kvm/index.ts';

/** A 4-level tree with leaves at the given (gfn, level) pairs. */
function tree(leaves: Array<[number, number]>): kvm_mmu_page {
  let id = 0;
  const root = new kvm_mmu_page(id++);
  root.role = { level: 4, is_mirror: false, invalid: false };
  for (const [gfn, level] of leaves) {
    let sp = root;
    for (let l = 4; l > level; l--) {
      const i = SPTE_INDEX(gfn, l);
      let child = spte_to_child_sp(sp.read(i));
      if (child === null) {
        if (is_shadow_present_pte(sp.read(i))) break;
        child = new kvm_mmu_page(id++);
        child.role = { level: l - 1, is_mirror: false, invalid: false };
        child.gfn = gfn - (gfn % KVM_PAGES_PER_HPAGE(l));
        sp.write(i, make_nonleaf_spte(child));
      }
      sp = child;
    }
    if (sp.role.level === level && sp.read(SPTE_INDEX(gfn, level)).tag === 'nonpresent') sp.write(SPTE_INDEX(gfn, level), make_spte(level, gfn));
  }
  return root;
}

/** Tables the kernel's walk enters, and entries of each in range, counted from the tree's shape. */
function expected_visits(root: kvm_mmu_page, min_level: number, start: number, end: number): number {
  let n = 0;
  const visit = (sp: kvm_mmu_page): void => {
    const per = sp.entry_pages;
    const lo = Math.max(start, sp.gfn);
    const hi = Math.min(end, sp.gfn + per * 512);
    if (hi <= lo) return;
    n += SPTE_INDEX(hi - 1, sp.role.level) - SPTE_INDEX(lo, sp.role.level) + 1;
    if (sp.role.level === min_level) return;
    for (const [i, spte] of sp.entries()) {
      const child = spte_to_child_sp(spte);
      if (child !== null && sp.gfn + i * per < end && sp.gfn + (i + 1) * per > start) visit(child);
    }
  };
  visit(root);
  return n;
}

function walk(root: kvm_mmu_page, min_level: number, start: number, end: number, skip: boolean) {
  const stat = { spte_visits: 0 };
  const seen: string[] = [];
  for (const iter of for_each_tdp_pte_min_level(stat, root, min_level, start, end, { skip_non_present: skip })) {
    if (is_shadow_present_pte(iter.old_spte)) seen.push(`${iter.level}:${iter.gfn}`);
  }
  return { visits: stat.spte_visits, seen };
}

describe('tdp_iter', () => {
  it('counts every entry it examines, like the kernel, and sees the same SPTEs when skipping non-present runs', () => {
    const root = tree([
      [0x200, 2],
      [0x1234, 1],
      [3 * 512 * 512 + 7 * 512, 2],
      [2 ** 27 + 5, 1],
    ]);
    const cases: Array<[number, number, number]> = [
      [PG_LEVEL_4K, 0, 2 ** 30],
      [PG_LEVEL_4K, 0x201, 0x1235],
      [2, 0x100, 2 ** 28],
      [PG_LEVEL_4K, 2 ** 27, 2 ** 27 + 6],
    ];
    for (const [min_level, start, end] of cases) {
      const slow = walk(root, min_level, start, end, false);
      const fast = walk(root, min_level, start, end, true);
      expect(fast.visits).toBe(slow.visits);
      expect(fast.seen).toEqual(slow.seen);
      expect(fast.visits).toBe(expected_visits(root, min_level, start, end));
    }
  });

  it('a walk over a 12 TiB range of an empty root examines only the root entries in range', () => {
    const root = tree([]);
    const start = 2 ** 29; // 2 TiB
    const end = 14 * 2 ** 28; // 14 TiB
    const r = walk(root, PG_LEVEL_4K, start, end, true);
    expect(r.visits).toBe((end - start) / KVM_PAGES_PER_HPAGE(4));
  });

  it('skipping agrees with stepping on random trees and ranges', () => {
    const leaf = fc.tuple(fc.integer({ min: 0, max: 2 ** 20 - 1 }), fc.constantFrom(1, 2, 3));
    fc.assert(
      fc.property(fc.array(leaf, { maxLength: 12 }), fc.integer({ min: 0, max: 2 ** 20 }), fc.integer({ min: 1, max: 2 ** 20 }), fc.constantFrom(1, 2, 3), (leaves, start, len, min_level) => {
        const root = tree(leaves.map(([g, l]) => [g - (g % KVM_PAGES_PER_HPAGE(l)), l]));
        const slow = walk(root, min_level, start, start + len, false);
        const fast = walk(root, min_level, start, start + len, true);
        expect(fast).toEqual(slow);
        expect(fast.visits).toBe(expected_visits(root, min_level, start, start + len));
      }),
      { seed: 4, numRuns: 150 },
    );
  });
});
