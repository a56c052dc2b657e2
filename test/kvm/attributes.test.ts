// KVM_SET_MEMORY_ATTRIBUTES on the VM: kvm_vm_set_mem_attributes() under slots_lock,
// kvm_handle_gfn_range() with the pre-set step (the invalidation begins, each
// memslot's part of the range is zapped, TLBs flushed), the store, and the post-set
// step (the invalidation ends).
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/engine/index.ts';
import {
  KVM_MEMORY_ATTRIBUTE_PRIVATE,
  kvm_mmu_page_fault,
  kvm_vcpu_thread,
  kvm_vm_set_mem_attributes,
  PG_LEVEL_2M,
  PG_LEVEL_4K,
  tdx_premap_private,
  KVM_FILTER_PRIVATE,
  kvm_mem_attrs_store,
  type kvm,
  type kvm_functions,
} from './kvm_test_api.ts';
import { mutex_lock, mutex_unlock, write_lock, write_unlock } from '../../src/kernel/index.ts';
import { kinds, ops_of, P1G, P2M, run_once, vm_program } from './helpers.ts';

const two_slots = { gmem_pages: 6 * P2M, memslots: [{ base_gfn: 0, npages: P2M, pgoff: 0 }, { base_gfn: P1G, npages: 2 * P2M, pgoff: 2 * P2M }] };

describe('kvm_vm_set_mem_attributes', () => {
  it('a range over two memslots: one invalidation, each slot zapped, the attributes stored, the invalidation ended', async () => {
    const rets: number[] = [];
    const { run, kvm } = await run_once({
      vm: two_slots,
      setup(vm) {
        tdx_premap_private(vm, 0x1f0, PG_LEVEL_4K);
        tdx_premap_private(vm, P1G + 0x10, PG_LEVEL_4K);
        tdx_premap_private(vm, P1G + 0x300, PG_LEVEL_4K);
        vm.k.kthread('set_attributes', async () => rets.push(await kvm_vm_set_mem_attributes(vm, 0x100, P1G + 0x100, 0)));
      },
    });
    expect(run.finding).toBeNull();
    expect(rets).toEqual([0]);
    expect(kvm.tdx.td.lookup(0x1f0)).toBeNull();
    expect(kvm.tdx.td.lookup(P1G + 0x10)).toBeNull();
    expect(kvm.tdx.td.lookup(P1G + 0x300)).not.toBeNull();
    expect(kvm.mem_attr_array.get(0x1f0)).toBeUndefined();
    expect(kvm.mem_attr_array.get(P1G + 0x10)).toBeUndefined();
    expect(kvm.mem_attr_array.get(P1G + 0x100)).toBe(KVM_MEMORY_ATTRIBUTE_PRIVATE);
    expect([kvm.mmu_invalidate_in_progress, kvm.mmu_invalidate_seq]).toEqual([0, 1]);
    const ops = ops_of(run, 'set_attributes', /lock|tdh_mem_(range_block|page_remove|track)/);
    expect(ops[0]).toBe('mutex_lock(&kvm->slots_lock)');
    expect(ops.filter((o) => o === 'write_lock(&kvm->mmu_lock)')).toHaveLength(2);
    expect(ops.filter((o) => o.startsWith('tdh_mem_page_remove'))).toHaveLength(2);
    expect(ops.at(-1)).toBe('mutex_unlock(&kvm->slots_lock)');
  });

  it('already set: nothing to do', async () => {
    const { run, kvm } = await run_once({ vm: two_slots, setup: (vm) => void vm.k.kthread('set_attributes', () => kvm_vm_set_mem_attributes(vm, 0x100, 0x200, KVM_MEMORY_ATTRIBUTE_PRIVATE)) });
    expect(ops_of(run, 'set_attributes')).toEqual(['start', 'mutex_lock(&kvm->slots_lock)', 'mutex_unlock(&kvm->slots_lock)']);
    expect(kvm.mmu_invalidate_seq).toBe(0);
  });

  /** vcpu0 faults private GFN 1G + 0x20 while [1G, 1G + 0x40) turns shared. */
  const fault_vs_set = (overrides: Partial<kvm_functions> = {}) =>
    explore(
      vm_program('fault-vs-set-attributes', {
        vm: { ...two_slots, overrides },
        setup(vm: kvm) {
          kvm_vcpu_thread(vm.vcpus[0]!, (v) => kvm_mmu_page_fault(v, P1G + 0x20, true, PG_LEVEL_4K));
          vm.k.kthread('set_attributes', () => kvm_vm_set_mem_attributes(vm, P1G, P1G + 0x40, 0));
          vm.run.invariant('shared_unmapped', () => (vm.run.allDone() && vm.tdx.td.lookup(P1G + 0x20) !== null ? 'GFN 0x40020 is shared, yet private memory maps it' : null));
        },
      }),
      { strategy: 'dpor', preemptions: 2, schedules: 20_000, maxSteps: 20_000, shrink: false },
    );

  it('a vCPU faulting in the range retries until the update ends, and never maps a GFN that became shared (every schedule within two preemptions)', async () => {
    const r = await fault_vs_set();
    expect(kinds(r)).toEqual([]);
    expect(r.stats.complete).toBe('within preemption bound 2');
  });

  it('storing and zapping without the pre/post invalidation lets a fault that read the old attributes map the GFN after the zap', async () => {
    const no_invalidation: kvm_functions['kvm_vm_set_mem_attributes'] = async (vm, start, end, attributes) => {
      await mutex_lock(vm.slots_lock);
      kvm_mem_attrs_store(vm, start, end, attributes);
      await write_lock(vm.mmu_lock);
      const range = { slot: vm.memslot, start, end, may_block: true, attr_filter: KVM_FILTER_PRIVATE };
      if (await vm.call.kvm_unmap_gfn_range(vm, range)) await vm.call.kvm_flush_remote_tlbs(vm);
      await write_unlock(vm.mmu_lock);
      await mutex_unlock(vm.slots_lock);
      return 0;
    };
    const r = await fault_vs_set({ kvm_vm_set_mem_attributes: no_invalidation });
    expect(kinds(r)).toEqual(['invariant:shared_unmapped']);
  });

  it('upstream does not split first: turning part of a huge private leaf shared zaps the whole leaf (what v3 15/24 adds a split for)', async () => {
    const { run } = await run_once({
      vm: two_slots,
      setup(vm) {
        tdx_premap_private(vm, P1G + P2M, PG_LEVEL_2M);
        vm.k.kthread('set_attributes', () => kvm_vm_set_mem_attributes(vm, P1G + P2M + 0x10, P1G + P2M + 0x20, 0));
      },
    });
    expect(run.finding?.kind).toBe('invariant:private');
  });
});
