import { describe, expect, it } from 'vitest';
import { kvm_gmem_error_folio, kvm_gmem_of, kvm_mirror_root, mirror_sept_disagreement, PG_LEVEL_2M, PG_LEVEL_4K, private_memory_lost, tdp_mmu_leaves, tdx_premap_private } from './kvm_test_api.ts';
import { P1G, P2M, run_once } from './helpers.ts';

describe('kvm_gmem_error_folio', () => {
  it('cuts the poisoned page out of its huge folio: S-EPT split first, one page zapped, the rest intact', async () => {
    const rets: number[] = [];
    const { run, kvm } = await run_once({
      setup(vm) {
        tdx_premap_private(vm, 0x200, PG_LEVEL_2M);
        vm.k.kthread('memory_failure', async () => rets.push(await kvm_gmem_error_folio(kvm_gmem_of(vm), 0x2a0)));
      },
    });
    expect(run.finding).toBeNull();
    expect(rets).toEqual([0]);
    expect(kvm.tdx.td.lookup(0x2a0)).toBeNull();
    expect(kvm.tdx.td.lookup(0x2a1)!.level).toBe(PG_LEVEL_4K);
    expect([...tdp_mmu_leaves(kvm_mirror_root(kvm), 0x200, 0x400)].length).toBe(P2M - 1);
    expect(mirror_sept_disagreement(kvm, 0, P1G)).toBeNull();
    expect(private_memory_lost(kvm, 0x200, 0x400)).toBeNull();
    const gmem = kvm_gmem_of(kvm);
    expect(gmem.filemap_get_folio(0x2a0)).toBeNull();
    expect(gmem.filemap_get_folio(0x2a1)!.order).toBe(0);
  });
});
