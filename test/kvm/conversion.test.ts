import { describe, expect, it } from 'vitest';
import {
  guest_access,
  KVM_MEMORY_ATTRIBUTE_PRIVATE,
  kvm_direct_root,
  kvm_gmem_of,
  kvm_gmem_set_attributes,
  kvm_mem_is_private,
  kvm_mirror_root,
  kvm_premap_shared,
  kvm_vcpu_thread,
  mirror_sept_disagreement,
  PG_LEVEL_2M,
  PG_LEVEL_4K,
  tdp_mmu_leaves,
  tdp_mmu_walk_gfn,
  tdx_premap_private,
  tlb_lookup,
  try_accept_one,
} from './kvm_test_api.ts';
import { explore_dfs, kinds, P1G, P2M, run_once, vm_program } from './helpers.ts';

describe('kvm_gmem_set_attributes (KVM_SET_MEMORY_ATTRIBUTES2)', () => {
  it('private to shared inside a 2M leaf: splits it, zaps only the range, keeps the rest', async () => {
    const rets: number[] = [];
    const { run, kvm } = await run_once({
      setup(vm) {
        tdx_premap_private(vm, 0x200, PG_LEVEL_2M);
        vm.k.kthread('conv', async () => rets.push(await kvm_gmem_set_attributes(kvm_gmem_of(vm), 0x210, 0x220, 0)));
      },
    });
    expect(run.finding).toBeNull();
    expect(rets).toEqual([0]);
    const mirror = [...tdp_mmu_leaves(kvm_mirror_root(kvm), 0x200, 0x400)];
    expect(mirror.length).toBe(P2M - 0x10);
    expect(mirror.some((l) => l.gfn >= 0x210 && l.gfn < 0x220)).toBe(false);
    expect(mirror_sept_disagreement(kvm, 0, P1G)).toBeNull();
    expect(kvm_mem_is_private(kvm, 0x20f)).toBe(true);
    expect(kvm_mem_is_private(kvm, 0x210)).toBe(false);
    expect(kvm_mem_is_private(kvm, 0x220)).toBe(true);
    // The guest gave up the converted pages and keeps the others.
    expect(kvm.guest.accepted.get(0x215)).toBeUndefined();
    expect(kvm.guest.accepted.get(0x20f)).toBeDefined();
    expect(kvm.mmu_invalidate_in_progress).toBe(0);
    expect(kvm.mmu_invalidate_seq).toBe(1);
  });

  it('is clean against a vCPU using memory on both sides of the boundary (every interleaving, 2 preemptions)', async () => {
    const p = vm_program('conversion-vs-vcpu', {
      setup(vm) {
        tdx_premap_private(vm, 0x200, PG_LEVEL_2M);
        kvm_vcpu_thread(vm.vcpus[0]!, async (v) => {
          await guest_access(v, 0x3ff, true, true);
          await guest_access(v, 0x211, true);
        });
        vm.k.kthread('conv', () => kvm_gmem_set_attributes(kvm_gmem_of(vm), 0x210, 0x220, 0));
      },
    });
    const r = await explore_dfs(p, { preemptions: 2, schedules: 50_000 });
    expect(kinds(r)).toEqual([]);
    expect(r.stats.complete).toBe('within preemption bound 2');
  });

  it('is clean against a vCPU accepting a 4K page of the same huge page (every interleaving, 2 preemptions)', async () => {
    let yielded = 0;
    const p = vm_program('conversion-vs-accept', {
      setup(vm, run) {
        tdx_premap_private(vm, 0x200, PG_LEVEL_2M, { accepted: false });
        kvm_vcpu_thread(vm.vcpus[0]!, (v) => try_accept_one(v, 0x300, PG_LEVEL_4K));
        vm.k.kthread('conv', async () => {
          await kvm_gmem_set_attributes(kvm_gmem_of(vm), 0x210, 0x220, 0);
          // The zap walk gave mmu_lock up to the waiting vCPU and restarted.
          if (run.trace.some((e) => e.thread === 'conv' && e.op === 'cond_resched')) yielded++;
        });
      },
    });
    const r = await explore_dfs(p, { preemptions: 2, schedules: 50_000 });
    expect(kinds(r)).toEqual([]);
    expect(yielded).toBeGreaterThan(0);
  });

  it('shared to private zaps the shared mapping and flushes the TLB that cached it', async () => {
    const { run, kvm } = await run_once({
      vm: { private: false },
      setup(vm) {
        kvm_premap_shared(vm, 0x210);
        kvm_vcpu_thread(vm.vcpus[0]!, async (v) => {
          await guest_access(v, 0x210, false);
          expect(tlb_lookup(v, 0x210, false)).not.toBeNull();
        });
        vm.k.kthread('conv', () => kvm_gmem_set_attributes(kvm_gmem_of(vm), 0x200, 0x400, KVM_MEMORY_ATTRIBUTE_PRIVATE));
      },
    });
    expect(run.finding).toBeNull();
    expect(tdp_mmu_walk_gfn(kvm_direct_root(kvm), 0x210).leaf).toBeNull();
    expect(tlb_lookup(kvm.vcpus[0]!, 0x210, false)).toBeNull();
    expect(kvm_mem_is_private(kvm, 0x210)).toBe(true);
    expect(kvm.tdx.td.lookup(0x210)).toBeNull();
  });
});
