import { describe, expect, it } from 'vitest';
import { EINVAL, kvm_gmem_of, kvm_gmem_fallocate, FALLOC_FL_PUNCH_HOLE, kvm_mirror_root, kvm_vcpu_thread, PG_LEVEL_2M, PG_LEVEL_4K, tdp_mmu_leaves, tdx_premap_private, try_accept_one } from './kvm_test_api.ts';
import { kvm_gmem_fallocate_unaligned } from '../../src/variants/zap-knobs.ts';
import { explore_dfs, kinds, P2M, run_once, vm_program } from './helpers.ts';

describe('kvm_gmem_punch_hole', () => {
  it('rejects a hole not aligned to the huge page on hugetlb backing', async () => {
    const rets: number[] = [];
    const { kvm } = await run_once({
      setup(vm) {
        tdx_premap_private(vm, 0x200, PG_LEVEL_2M);
        vm.k.kthread('punch', async () => rets.push(await kvm_gmem_fallocate(kvm_gmem_of(vm), FALLOC_FL_PUNCH_HOLE, 0x210, 0x10)));
      },
    });
    expect(rets).toEqual([-EINVAL]);
    expect(kvm.tdx.td.lookup(0x210)!.level).toBe(PG_LEVEL_2M);
  });

  it('zaps an aligned hole and frees its folios, without splitting anything', async () => {
    const rets: number[] = [];
    const { run, kvm } = await run_once({
      setup(vm) {
        tdx_premap_private(vm, 0x200, PG_LEVEL_2M);
        tdx_premap_private(vm, 0x400, PG_LEVEL_2M);
        vm.k.kthread('punch', async () => rets.push(await kvm_gmem_fallocate(kvm_gmem_of(vm), FALLOC_FL_PUNCH_HOLE, 0x200, P2M)));
      },
    });
    expect(run.finding).toBeNull();
    expect(rets).toEqual([0]);
    expect(kvm.tdx.td.lookup(0x200)).toBeNull();
    expect(kvm.tdx.td.lookup(0x400)!.level).toBe(PG_LEVEL_2M);
    expect(kvm_gmem_of(kvm).filemap_get_folio(0x200)).toBeNull();
    expect(kvm_gmem_of(kvm).filemap_get_folio(0x400)).not.toBeNull();
    expect(kvm.stat.splits).toBe(0);
  });

  it('with unaligned holes allowed, splits the boundary leaf first (v3) and keeps what lies outside', async () => {
    const { run, kvm } = await run_once({
      vm: { overrides: { kvm_gmem_fallocate: kvm_gmem_fallocate_unaligned } },
      setup(vm) {
        tdx_premap_private(vm, 0x200, PG_LEVEL_2M);
        vm.k.kthread('punch', () => kvm_gmem_fallocate(kvm_gmem_of(vm), FALLOC_FL_PUNCH_HOLE, 0x210, 0x10));
      },
    });
    expect(run.finding).toBeNull();
    expect(kvm.tdx.td.lookup(0x20f)!.level).toBe(PG_LEVEL_4K);
    expect([...tdp_mmu_leaves(kvm_mirror_root(kvm), 0x200, 0x400)].length).toBe(P2M - 0x10);
  });

  it('is clean against a vCPU accepting the huge page it punches (every interleaving, 2 preemptions)', async () => {
    const p = vm_program('punch-vs-accept', {
      setup(vm) {
        kvm_vcpu_thread(vm.vcpus[0]!, (v) => try_accept_one(v, 0x400, PG_LEVEL_2M));
        vm.k.kthread('punch', () => kvm_gmem_fallocate(kvm_gmem_of(vm), FALLOC_FL_PUNCH_HOLE, 0x400, P2M));
      },
    });
    const r = await explore_dfs(p, { preemptions: 2 });
    expect(kinds(r)).toEqual([]);
  });
});
