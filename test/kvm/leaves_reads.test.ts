// tdp_mmu_leaves() under an invariant's watch records each table's reads as one range
// when it leaves the table (or its caller stops) rather than read by read: the watch,
// which keeps the bounds of each key's reads, must end up the same as with every
// read recorded as it is made (leaves_reads.per_entry, the plain method), over random
// ranges and callers that stop early.
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import type { Run } from '../../src/engine/index.ts';
import { leaves_reads } from '../../src/kvm/arch/x86/kvm/mmu/tdp_mmu.ts';
import { kvm_mirror_root, PG_LEVEL_2M, PG_LEVEL_4K, tdp_mmu_leaves, tdx_premap_private } from './kvm_test_api.ts';
import { P1G, P2M, run_once } from './helpers.ts';

/** What the watch of a run holds: each key's readers and the bounds of their reads. */
function watch_of(run: Run): string[] {
  const readers = (run as any).readers as Map<string, { mask: number; lo: number[]; hi: number[] }> | null;
  const out: string[] = [];
  for (const [key, kr] of readers ?? []) out.push(`${key} ${kr.mask} ${kr.lo.join(',')} ${kr.hi.join(',')}`);
  return out.sort();
}

/** Walks under the watch of a check with bit `bit`, reading `stop` leaves at most. */
function walk_watched(run: Run, root: ReturnType<typeof kvm_mirror_root>, lo: number, hi: number, stop: number, bit: number): number {
  const r = run as any;
  r.watchMode = 2;
  r.checking = { bit, index: 31 - Math.clz32(bit), keys: [], always: false };
  let n = 0;
  try {
    for (const l of tdp_mmu_leaves(root, lo, hi)) {
      void l;
      if (++n >= stop) break;
    }
  } finally {
    r.watchMode = 0;
    r.checking = null;
  }
  return n;
}

describe('tdp_mmu_leaves() reads under a watch', () => {
  it('leave the watch as recording each read does, over random ranges and early stops', async () => {
    let merged_tables = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const watches: string[][] = [];
      for (const per_entry of [true, false]) {
        const was = leaves_reads.per_entry;
        leaves_reads.per_entry = per_entry;
        try {
          const { run, kvm } = await run_once({
            invariants: false,
            setup(vm) {
              tdx_premap_private(vm, 0x200, PG_LEVEL_2M);
              for (let g = 0x400; g < 0x600; g += 3) tdx_premap_private(vm, g, PG_LEVEL_4K);
              for (let g = P1G + 0x10; g < P1G + 0x30; g++) tdx_premap_private(vm, g, PG_LEVEL_4K);
              tdx_premap_private(vm, P1G + 0x600, PG_LEVEL_2M);
              tdx_premap_private(vm, 3 * P1G + 5, PG_LEVEL_4K);
            },
          });
          const root = kvm_mirror_root(kvm);
          const rnd = seedrandom.alea(`leaves_reads:${seed}`);
          const int = (n: number) => Math.floor(rnd() * n);
          for (let k = 0; k < 30; k++) {
            // Mostly near what is mapped (most of the 4 GiB is not).
            const near = [0x200, 0x400, P1G, P1G + 0x600, 3 * P1G][int(5)]!;
            const lo = rnd() < 0.2 ? int(4 * P1G) : Math.max(0, near - int(P2M) + int(P2M));
            const hi = lo + (rnd() < 0.5 ? int(3 * P2M) : int(2 * P1G));
            // Callers that stop after a few leaves, and callers that see them all.
            const stop = rnd() < 0.5 ? 1 + int(40) : Infinity;
            const n = walk_watched(run, root, lo, hi, stop, 1 << int(3));
            if (!per_entry && n > 1) merged_tables++;
          }
          watches.push(watch_of(run));
        } finally {
          leaves_reads.per_entry = was;
        }
      }
      expect(watches[0]!.length).toBeGreaterThan(0);
      expect(watches[1]).toEqual(watches[0]);
    }
    expect(merged_tables).toBeGreaterThan(50);
  });
});
