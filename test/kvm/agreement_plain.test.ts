// mirror_sept_disagreement() against the plain check it replaced (S-EPT leaves
// keyed by level and GFN in a Set of numbers), on VMs whose S-EPT was perturbed at
// random: the same verdict and message every time.
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import {
  fmt_gfn,
  type gfn_t,
  type kvm,
  kvm_mirror_root,
  level_name,
  mirror_sept_disagreement,
  PG_LEVEL_2M,
  PG_LEVEL_4K,
  sept_entry,
  tdp_mmu_leaves,
  tdp_mmu_walk_gfn,
  tdx_premap_private,
} from '../../src/kvm/index.ts';
import { P2M, run_once } from './helpers.ts';

/** The check as it was: mirror leaves keyed by level * 2^48 + GFN. */
function plain(kvm: kvm, lo: gfn_t, hi: gfn_t): string | 'frozen' | null {
  const root = kvm_mirror_root(kvm);
  const td = kvm.tdx.td;
  const leaf = (level: number, gfn: gfn_t, pfn: number) => `mirror ${level_name(level)} leaf at GFN ${fmt_gfn(gfn)} -> pfn 0x${pfn.toString(16)}`;
  if (tdp_mmu_walk_gfn(root, lo).frozen) return 'frozen';
  const mirror = new Set<number>();
  for (const l of tdp_mmu_leaves(root, lo, hi)) {
    if (l.spte === null) return 'frozen';
    mirror.add(l.level * 2 ** 48 + l.gfn);
    const e = td.leaf_at(l.gfn, l.level);
    if (e === null) return `${leaf(l.level, l.gfn, l.spte.pfn)} has no S-EPT leaf`;
    if (e.pfn !== l.spte.pfn) return `${leaf(l.level, l.gfn, l.spte.pfn)} but the S-EPT maps pfn 0x${e.pfn.toString(16)}`;
    if (e.blocked) return `${leaf(l.level, l.gfn, l.spte.pfn)} but the S-EPT leaf is BLOCKED`;
  }
  for (const e of td.leaves_in(lo, hi)) {
    if (!mirror.has(e.level * 2 ** 48 + e.gfn)) return `S-EPT ${level_name(e.level)} leaf at GFN ${fmt_gfn(e.gfn)} (${e.state}) has no mirror leaf`;
  }
  return null;
}

/** How many 4K leaves DEMOTE left unmade the TD's S-EPT holds. */
function lazy(td: kvm['tdx']['td']): number {
  const chunks = (td as any).sept[PG_LEVEL_4K].chunks as Map<number, unknown[]>;
  let n = 0;
  for (const c of chunks.values()) for (const v of c) if (typeof v === 'symbol') n++;
  return n;
}

/** [0x200, 0x400) mapped by 4K leaves, [0x400, 0x800) by two 2M leaves. */
async function vm(): Promise<kvm> {
  const { kvm } = await run_once({
    invariants: false,
    setup(v) {
      for (let g = 0x200; g < 0x200 + P2M; g++) tdx_premap_private(v, g, PG_LEVEL_4K);
      tdx_premap_private(v, 0x400, PG_LEVEL_2M);
      tdx_premap_private(v, 0x600, PG_LEVEL_2M);
    },
  });
  return kvm;
}

const RANGES: Array<[number, number]> = [
  [0, 0x1000],
  [0x200, 0x400],
  [0x2f0, 0x410],
  [0x400, 0x600],
  [0x5ff, 0x601],
];

describe('mirror_sept_disagreement()', () => {
  it('says what the plain check says, on S-EPTs perturbed at random', async () => {
    const kinds = new Set<string>();
    let lazy_seeds = 0;
    const lazy_kinds = new Set<string>();
    for (let seed = 1; seed <= 150; seed++) {
      const kvm = await vm();
      const td = kvm.tdx.td;
      const rnd = seedrandom.alea(`agreement:${seed}`);
      const int = (n: number) => Math.floor(rnd() * n);
      for (let k = 0; k < 3; k++) {
        const level = rnd() < 0.6 ? PG_LEVEL_4K : PG_LEVEL_2M;
        const gfn = level === PG_LEVEL_4K ? 0x200 + int(3 * P2M) : P2M * (1 + int(3));
        const e = td.leaf_at(gfn, level);
        switch (int(5)) {
          case 4: {
            // The 4K table at 0x200 as DEMOTE leaves it (level_map.fill_lazy()), its
            // leaves made when first looked at, mapping the mirror's PFNs or others.
            const first = td.leaf_at(0x200, PG_LEVEL_4K)?.pfn ?? 0x9000;
            for (let g = 0x200; g < 0x200 + P2M; g++) {
              const x = td.leaf_at(g, PG_LEVEL_4K);
              if (x !== null) td.delete_leaf(x);
            }
            td.set_table_leaves(0x200, PG_LEVEL_4K, first + (rnd() < 0.3 ? 1 : 0), rnd() < 0.5);
            break;
          }
          case 0:
            if (e !== null) td.delete_leaf(e);
            break;
          case 1:
            // A leaf where the mirror has none at this level (or one with another PFN).
            td.set_leaf(new sept_entry(gfn, level, (e?.pfn ?? 0x9000) + (e === null ? 0 : 1)));
            break;
          case 2:
            if (e !== null) e.blocked = true;
            break;
          default:
            // The same leaf again: a different object at the same level and GFN.
            if (e !== null) td.set_leaf(Object.assign(new sept_entry(e.gfn, e.level, e.pfn), { accepted: e.accepted }));
        }
      }
      // Every range checked before the plain check, which makes the leaves DEMOTE
      // left unmade, looks at any.
      const unmade = lazy(td);
      if (unmade > 0) lazy_seeds++;
      const got = RANGES.map(([lo, hi]) => mirror_sept_disagreement(kvm, lo, hi));
      // It makes no leaf, but the one a message names.
      expect(lazy(td)).toBeGreaterThanOrEqual(unmade - RANGES.length);
      for (const [i, [lo, hi]] of RANGES.entries()) {
        const want = plain(kvm, lo, hi);
        expect(got[i]).toBe(want);
        if (unmade > 0) lazy_kinds.add(want === null ? 'null' : want.replace(/.*(has no S-EPT leaf|S-EPT maps|BLOCKED|has no mirror leaf).*/, '$1'));
        kinds.add(want === null ? 'null' : want.replace(/.*(has no S-EPT leaf|S-EPT maps|BLOCKED|has no mirror leaf).*/, '$1'));
      }
    }
    // Leaves not made yet were compared on some seeds, and every outcome was met, or
    // the comparison proves little.
    expect(lazy_seeds).toBeGreaterThan(5);
    expect([...lazy_kinds].sort()).toEqual([...kinds].sort());
    expect([...kinds].sort()).toEqual(['BLOCKED', 'S-EPT maps', 'has no S-EPT leaf', 'has no mirror leaf', 'null'].sort());
  });
});
