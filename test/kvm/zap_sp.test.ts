// kvm_tdp_mmu_zap_sp(): zaps the entry linking a page table into its parent, on the
// normal root; a root is never zapped; on the mirror root it is a KVM bug.
import { describe, expect, it } from 'vitest';
import { write_lock, write_unlock } from '../../src/kernel/index.ts';
import { kvm_direct_root, kvm_mirror_root, kvm_premap_shared, kvm_tdp_mmu_zap_sp, PG_LEVEL_4K, tdp_mmu_walk_gfn, tdx_premap_private } from './kvm_test_api.ts';
import { run_once } from './helpers.ts';

describe('kvm_tdp_mmu_zap_sp', () => {
  it('unlinks the 4K table holding a GFN, and refuses a root', async () => {
    const rets: boolean[] = [];
    const { run, kvm } = await run_once({
      setup(vm) {
        kvm_premap_shared(vm, 0x210);
        vm.k.kthread('zap', async () => {
          await write_lock(vm.mmu_lock);
          const w = tdp_mmu_walk_gfn(kvm_direct_root(vm), 0x210);
          rets.push(await kvm_tdp_mmu_zap_sp(vm, w.sptep.sp), await kvm_tdp_mmu_zap_sp(vm, kvm_direct_root(vm)));
          await write_unlock(vm.mmu_lock);
        });
      },
    });
    expect(run.finding).toBeNull();
    expect(rets).toEqual([true, false]);
    const w = tdp_mmu_walk_gfn(kvm_direct_root(kvm), 0x210);
    expect(w.leaf).toBeNull();
    expect(w.level).toBeGreaterThan(PG_LEVEL_4K);
  });

  it('on the mirror root it is a KVM bug: S-EPT page tables are not freed while the TD runs', async () => {
    const { run } = await run_once({
      setup(vm) {
        tdx_premap_private(vm, 0x210, PG_LEVEL_4K);
        vm.k.kthread('zap', async () => {
          await write_lock(vm.mmu_lock);
          const w = tdp_mmu_walk_gfn(kvm_mirror_root(vm), 0x210);
          await kvm_tdp_mmu_zap_sp(vm, w.sptep.sp);
          await write_unlock(vm.mmu_lock);
        });
      },
    });
    expect(run.finding?.kind).toBe('kvm-bug-on');
    expect(run.finding?.message).toMatch(/mirror non-leaf SPTE changed at 0x200: external page tables are not freed while the TD runs/);
  });
});
