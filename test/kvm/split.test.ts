import { describe, expect, it } from 'vitest';
import { write_lock, write_unlock } from '../../src/kernel/index.ts';
import {
  kvm_mirror_root,
  kvm_gmem_of,
  kvm_gmem_set_attributes,
  mirror_sept_disagreement,
  PG_LEVEL_1G,
  PG_LEVEL_2M,
  PG_LEVEL_4K,
  tdp_mmu_leaves,
  tdp_mmu_split_huge_pages_root,
  tdx_boundary_split_ranges,
  tdx_premap_private,
  tdx_alloc_pamt_pages,
  tdx_min_split_cache_sz,
  tdx_topup_pamt_cache,
  type kvm,
} from './kvm_test_api.ts';
import { ops_of, P1G, P2M, run_once } from './helpers.ts';

/** Splits [start, end) of the mirror root under write mmu_lock, as a thread without a vCPU
 * using the per-VM cache under pamt_cache_lock. */
function splitter(vm: kvm, start: number, end: number, target: number, only_cross_boundary: boolean, rets: number[]): void {
  vm.k.kthread('split', async () => {
    const r0 = await vm.call.tdx_split_cache_prepare(vm, 2 * tdx_min_split_cache_sz(vm, PG_LEVEL_2M));
    await write_lock(vm.mmu_lock);
    rets.push(r0, await tdp_mmu_split_huge_pages_root(vm, kvm_mirror_root(vm), start, end, target, false, only_cross_boundary));
    await write_unlock(vm.mmu_lock);
    await vm.call.tdx_split_cache_release(vm);
  });
}

describe('splitting huge leaves', () => {
  it('drops mmu_lock and RCU to allocate, restarts from the root, then BLOCK, TRACK, DEMOTE on the mirror', async () => {
    const rets: number[] = [];
    const { run, kvm } = await run_once({
      setup(vm) {
        tdx_premap_private(vm, 0x200, PG_LEVEL_2M);
        splitter(vm, 0x200, 0x400, PG_LEVEL_4K, false, rets);
      },
    });
    expect(run.finding).toBeNull();
    expect(rets).toEqual([0, 0]);
    expect(kvm.stat.split_alloc_drops).toBe(1);
    expect(kvm.stat.splits).toBe(1);
    const seq = ops_of(run, 'split', /lock|unlock|^tdh_mem/).filter((o) => !o.includes('pamt_lock'));
    expect(seq).toEqual([
      'mutex_lock(&kvm_tdx->pamt_cache_lock)',
      'write_lock(&kvm->mmu_lock)',
      'rcu_read_lock',
      'rcu_read_unlock',
      'write_unlock(&kvm->mmu_lock)',
      'write_lock(&kvm->mmu_lock)',
      'rcu_read_lock',
      'tdh_mem_range_block(S-EPT[0x200 2M])',
      'tdh_mem_track(TD epoch)',
      'tdh_mem_page_demote(S-EPT[0x200 2M])',
      'rcu_read_unlock',
      'write_unlock(&kvm->mmu_lock)',
      'mutex_unlock(&kvm_tdx->pamt_cache_lock)',
    ]);
    const leaves = [...tdp_mmu_leaves(kvm_mirror_root(kvm), 0x200, 0x400)];
    expect(leaves.length).toBe(P2M);
    expect(leaves.every((l) => l.level === PG_LEVEL_4K)).toBe(true);
    expect(mirror_sept_disagreement(kvm, 0, 4 * P1G)).toBeNull();
    // Two walks from the root to the 2M entry, before and after the allocation; the
    // walk does not enter the new 4K table (min_level is target_level + 1).
    expect(kvm.stat.spte_visits).toBe(2 * (kvm.arch.root_level - PG_LEVEL_2M + 1));
  });

  it('only_cross_boundary splits a leaf that crosses the range, not one inside it', async () => {
    const rets: number[] = [];
    const { kvm } = await run_once({
      setup(vm) {
        tdx_premap_private(vm, 0x200, PG_LEVEL_2M);
        tdx_premap_private(vm, 0x400, PG_LEVEL_2M);
        splitter(vm, 0x210, 0x600, PG_LEVEL_4K, true, rets);
      },
    });
    expect(rets).toEqual([0, 0]);
    expect(kvm.tdx.td.lookup(0x210)!.level).toBe(PG_LEVEL_4K);
    expect(kvm.tdx.td.lookup(0x400)!.level).toBe(PG_LEVEL_2M);
  });

  it('a split cache topped up under mmu_lock sleeps in atomic context (an extension point a variant can get wrong)', async () => {
    const { run } = await run_once({
      vm: {
        overrides: {
          tdx_split_cache_prepare: async () => 0,
          tdx_split_cache_take: async (vm, n, gfn) => {
            await tdx_topup_pamt_cache(vm.tdx.pamt_cache, n);
            return tdx_alloc_pamt_pages(vm, vm.tdx.pamt_cache, n, gfn);
          },
          tdx_split_cache_release: async () => {},
        },
      },
      setup(vm) {
        tdx_premap_private(vm, 0x200, PG_LEVEL_2M);
        vm.k.kthread('conv', () => kvm_gmem_set_attributes(kvm_gmem_of(vm), 0x210, 0x220, 0));
      },
    });
    expect(run.finding?.kind).toBe('sleep-in-atomic');
    expect(run.finding?.message).toContain('tdx_topup_pamt_cache');
    expect(run.finding?.message).toContain('&kvm->mmu_lock');
  });

  it('head/tail arithmetic: the blocks holding each unaligned end, largest level first, each once', () => {
    expect(tdx_boundary_split_ranges(0x200, 0x400)).toEqual([
      { start: 0, end: P1G, target_level: PG_LEVEL_2M },
    ]);
    expect(tdx_boundary_split_ranges(0x210, 0x220)).toEqual([
      { start: 0, end: P1G, target_level: PG_LEVEL_2M },
      { start: 0x200, end: 0x400, target_level: PG_LEVEL_4K },
    ]);
    expect(tdx_boundary_split_ranges(P1G + 1, 3 * P1G + P2M + 7)).toEqual([
      { start: P1G, end: 2 * P1G, target_level: PG_LEVEL_2M },
      { start: 3 * P1G, end: 4 * P1G, target_level: PG_LEVEL_2M },
      { start: P1G, end: P1G + P2M, target_level: PG_LEVEL_4K },
      { start: 3 * P1G + P2M, end: 3 * P1G + 2 * P2M, target_level: PG_LEVEL_4K },
    ]);
    expect(tdx_boundary_split_ranges(0, P1G)).toEqual([]);
  });

  it('a 1G leaf splits down to 4K in one walk (pre-order)', async () => {
    const rets: number[] = [];
    const { run, kvm } = await run_once({
      vm: { backing: 'hugetlb', huge_order: 18 },
      setup(vm) {
        tdx_premap_private(vm, P1G, PG_LEVEL_1G);
        splitter(vm, P1G + 5, P1G + 6, PG_LEVEL_4K, false, rets);
      },
    });
    expect(run.finding?.message).toBeUndefined();
    expect(rets).toEqual([0, 0]);
    expect(kvm.tdx.td.lookup(P1G + 5)!.level).toBe(PG_LEVEL_4K);
    expect(kvm.tdx.td.lookup(P1G + P2M)!.level).toBe(PG_LEVEL_2M);
    expect(kvm.stat.splits).toBe(2);
  });

  it('head/tail costs the same walks for any range size; the only_cross_boundary walk grows with it', async () => {
    const cost = async (end: number, walk: boolean): Promise<number> => {
      const { run, kvm } = await run_once({
        vm: { gmem_pages: 64 * P1G, overrides: walk ? { kvm_split_boundary_leafs: (vm, root, s, e) => tdp_mmu_split_huge_pages_root(vm, root, s, e, PG_LEVEL_4K, false, true) } : {} },
        setup(vm) {
          for (let g = 0; g < end; g += 64 * P2M) tdx_premap_private(vm, g, PG_LEVEL_2M);
          vm.k.kthread('conv', () => kvm_gmem_set_attributes(kvm_gmem_of(vm), 0x10, end - 0x10, 0));
        },
      });
      expect(run.finding).toBeNull();
      // The zap itself walks the range either way; take the split's share only.
      return kvm.stat.spte_visits - zap_visits(end);
    };
    const small = await cost(2 * P1G, false);
    const large = await cost(16 * P1G, false);
    expect(large).toBe(small);
    const walk_small = await cost(2 * P1G, true);
    const walk_large = await cost(16 * P1G, true);
    expect(walk_large).toBeGreaterThan(4 * walk_small);
  });
});

/** Entries the zap of [0x10, end - 0x10) examines in a tree with a 2M leaf every 64
 * blocks below `end` (so a table under every 1G entry), once the two boundary leaves
 * were split: the root entries of the mirror and the direct root, every 1G entry,
 * every 2M entry of each 1G table, and each boundary table's 512 entries. */
function zap_visits(end: number): number {
  const root_entries = Math.ceil(end / (512 * P1G));
  const gigs = end / P1G;
  return 2 * root_entries + gigs + gigs * 512 + 2 * 512;
}
