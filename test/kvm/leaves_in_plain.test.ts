// tdx_td.leaves_in() (one generator and a stack of tables) against the plain walk it
// replaced (a generator per table, delegating to its children's): the same leaves
// in the same order, and the same reads recorded at the same points, whether the
// caller takes every leaf or stops early.
import { describe, expect, it } from 'vitest';
import { gfn_round_for_level, KVM_PAGES_PER_HPAGE, type kvm, PG_LEVEL_2M, PG_LEVEL_4K, type sept_entry, SPTE_ENT_PER_PAGE, tdx_premap_private, type tdx_td } from '../../src/kvm/index.ts';
import { P1G, P2M, run_once } from './helpers.ts';

/** The walk as it was, through the TD's own fields and its touch(). */
function* plain_below(td: tdx_td, level: number, base: number, lo: number, hi: number): IterableIterator<sept_entry> {
  const t = td as unknown as { sept: Array<{ get(g: number): sept_entry | undefined }>; sept_tables: Array<Map<number, number>>; touch(l: number, a: number, b: number, x: string): void };
  const n = KVM_PAGES_PER_HPAGE(level);
  const from = Math.max(base, gfn_round_for_level(lo, level));
  const to = Math.min(base + n * SPTE_ENT_PER_PAGE, hi);
  if (from < to) t.touch(level, from, to, 'read');
  for (let g = from; g < to; g += n) {
    const leaf = t.sept[level]?.get(g);
    if (leaf !== undefined) yield leaf;
    else if (level > PG_LEVEL_4K && t.sept_tables[level]!.has(g)) yield* plain_below(td, level - 1, g, lo, hi);
  }
}

/** A VM with 4K and 2M leaves in three 1G ranges. */
async function vm(): Promise<kvm> {
  const { kvm } = await run_once({
    invariants: false,
    setup(v) {
      for (let g = 0x200; g < 0x200 + 40; g += 3) tdx_premap_private(v, g, PG_LEVEL_4K);
      tdx_premap_private(v, 0x600, PG_LEVEL_2M);
      tdx_premap_private(v, P1G + 5 * P2M, PG_LEVEL_2M);
      tdx_premap_private(v, P1G + 7 * P2M + 9, PG_LEVEL_4K);
      tdx_premap_private(v, 3 * P1G + 2 * P2M, PG_LEVEL_2M);
    },
  });
  return kvm;
}

describe('tdx_td.leaves_in()', () => {
  it('yields and records what the plain walk does, taken whole or in part', async () => {
    const kvm = await vm();
    const td = kvm.tdx.td;
    // Record every read the walks make, as a recording run would.
    const log: string[] = [];
    const run = td.run as unknown as Record<string, unknown>;
    Object.defineProperty(run, 'recordingReads', { get: () => true, configurable: true });
    run.touchRange = (key: string, access: string, lo: number, hi: number) => log.push(`${key} ${access} ${lo} ${hi}`);
    const ranges: Array<[number, number]> = [
      [0, 4 * P1G],
      [0x200, 0x210],
      [0x201, 0x202],
      [0x1ff, 0x800],
      [0x600, 0x601],
      [P1G, 2 * P1G],
      [P1G + 5 * P2M + 3, P1G + 7 * P2M + 10],
      [3 * P1G + 2 * P2M + 1, 3 * P1G + 2 * P2M + 2],
      [2 * P1G, 3 * P1G],
      [5, 5],
    ];
    let partial = 0;
    for (const [lo, hi] of ranges) {
      for (const take of [Infinity, 0, 1, 2, 5]) {
        const walk = (it: IterableIterator<sept_entry>) => {
          log.length = 0;
          const out: string[] = [];
          for (const e of it) {
            if (out.length >= take) break;
            out.push(`${e.level}:${e.gfn}:${e.pfn}`);
          }
          return { out, reads: [...log] };
        };
        const want = walk(plain_below(td, td.root_level, 0, lo, hi));
        expect(walk(td.leaves_in(lo, hi))).toEqual(want);
        if (take !== Infinity && want.reads.length > 0) partial++;
      }
    }
    // The VM has leaves of both sizes, and some walk stopped early having read something.
    const all = [...plain_below(td, td.root_level, 0, 0, 4 * P1G)];
    expect(new Set(all.map((e) => e.level))).toEqual(new Set([PG_LEVEL_4K, PG_LEVEL_2M]));
    expect(partial).toBeGreaterThan(0);
  });
});
