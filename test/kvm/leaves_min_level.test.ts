// tdp_mmu_leaves() with a minimum level skips the tables below it: it must list
// exactly the leaves (frozen entries included) at that level or above that the full
// walk lists, in the same order, over random mappings and ranges.
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { kvm_mirror_root, PG_LEVEL_1G, PG_LEVEL_2M, PG_LEVEL_4K, tdp_mmu_leaves, tdx_premap_private } from './kvm_test_api.ts';
import { P1G, P2M, run_once } from './helpers.ts';

const text = (l: { gfn: number; level: number; spte: { pfn: number } | null }) => `${l.level}:${l.gfn}:${l.spte?.pfn ?? 'frozen'}`;

describe('tdp_mmu_leaves() from a minimum level', () => {
  it("lists the full walk's leaves at that level or above, over random mappings and ranges", async () => {
    let huge = 0;
    let small = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const rnd = seedrandom.alea(`leaves_min_level:${seed}`);
      const int = (n: number) => Math.floor(rnd() * n);
      const { kvm } = await run_once({
        invariants: false,
        setup(vm) {
          // Random 4K, 2M and 1G leaves in the first 4 GiB; a place already mapped
          // at another level makes the set-up throw, and is left as it is.
          for (let k = 0; k < 12; k++) {
            const level = [PG_LEVEL_4K, PG_LEVEL_4K, PG_LEVEL_2M, PG_LEVEL_1G][int(4)]!;
            const g = level === PG_LEVEL_1G ? (1 + int(3)) * P1G : level === PG_LEVEL_2M ? int(2048) * P2M : int(4 * P1G);
            try {
              tdx_premap_private(vm, g, level);
            } catch {
              continue;
            }
          }
        },
      });
      const root = kvm_mirror_root(kvm);
      for (let k = 0; k < 40; k++) {
        const lo = int(4 * P1G);
        const hi = lo + (rnd() < 0.5 ? int(4 * P2M) : int(4 * P1G));
        const all = [...tdp_mmu_leaves(root, lo, hi)];
        for (const min_level of [PG_LEVEL_4K, PG_LEVEL_2M, PG_LEVEL_1G]) {
          const want = all.filter((l) => l.level >= min_level).map(text);
          expect([...tdp_mmu_leaves(root, lo, hi, min_level)].map(text)).toEqual(want);
        }
        huge += all.filter((l) => l.level > PG_LEVEL_4K).length;
        small += all.filter((l) => l.level === PG_LEVEL_4K).length;
      }
    }
    // The ranges met leaves of both kinds.
    expect(huge).toBeGreaterThan(20);
    expect(small).toBeGreaterThan(20);
  });
});
