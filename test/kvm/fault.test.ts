import { describe, expect, it } from 'vitest';
import {
  EFAULT,
  KVM_MEMORY_ATTRIBUTE_PRIVATE,
  kvm_mirror_root,
  kvm_mmu_invalidate_begin,
  kvm_mmu_invalidate_end,
  kvm_mmu_invalidate_range_add,
  kvm_mmu_page_fault,
  kvm_vcpu_thread,
  kvm_set_attributes_at_setup,
  pamt_region,
  PG_LEVEL_2M,
  PG_LEVEL_4K,
  RET_PF_FIXED,
  RET_PF_RETRY,
  RET_PF_SPURIOUS,
  tdp_mmu_walk_gfn,
  tdx_handle_ept_violation,
  write_lock_for_tests,
} from './kvm_test_api.ts';
import { explore_dfs, kinds, run_once, vm_program } from './helpers.ts';

describe('vCPU fault path', () => {
  it('maps an aligned private GFN at 2M: mirror leaf, S-EPT PENDING leaf, tables linked on the way', async () => {
    const rets: number[] = [];
    const { run, kvm } = await run_once({
      setup(vm) {
        kvm_vcpu_thread(vm.vcpus[0]!, async (v) => rets.push(await kvm_mmu_page_fault(v, 0x403, true, PG_LEVEL_2M)));
      },
    });
    expect(run.finding).toBeNull();
    expect(rets).toEqual([RET_PF_FIXED]);
    const w = tdp_mmu_walk_gfn(kvm_mirror_root(kvm), 0x403);
    expect([w.level, w.gfn]).toEqual([PG_LEVEL_2M, 0x400]);
    const e = kvm.tdx.td.lookup(0x403)!;
    expect([e.gfn, e.level, e.state, e.pfn]).toEqual([0x400, PG_LEVEL_2M, 'pending', w.leaf!.pfn]);
    // One entry examined per level on the way down: the root's, the 1G table's, the 2M table's.
    expect(kvm.stat.spte_visits).toBe(kvm.arch.root_level - PG_LEVEL_2M + 1);
    expect(kvm.stat.pages_tables).toBe(kvm.arch.root_level - PG_LEVEL_2M);
    expect(kvm.stat.pages[PG_LEVEL_2M]).toBe(1);
  });

  it('maps at the accept level, taking DPAMT for the 4K page and the tables', async () => {
    const { run, kvm } = await run_once({
      setup(vm) {
        kvm_vcpu_thread(vm.vcpus[0]!, (v) => kvm_mmu_page_fault(v, 0x403, true, PG_LEVEL_4K));
      },
    });
    expect(run.finding).toBeNull();
    const e = kvm.tdx.td.lookup(0x403)!;
    expect([e.gfn, e.level]).toEqual([0x403, PG_LEVEL_4K]);
    expect(kvm.host.refcount(e.pfn)).toBe(1);
    expect(kvm.host.pamt.is_installed(pamt_region(e.pfn))).toBe(true);
    // The three tables below the root each hold a DPAMT reference for their S-EPT page.
    expect(kvm.host.refcounts().reduce((a, [, n]) => a + n, 0)).toBe(1 + kvm.arch.root_level - PG_LEVEL_4K);
  });

  it('a fault whose attributes disagree exits to userspace', async () => {
    const rets: number[] = [];
    await run_once({
      setup(vm) {
        kvm_set_attributes_at_setup(vm, 0x400, 0x600, 0);
        kvm_vcpu_thread(vm.vcpus[0]!, async (v) => rets.push(await kvm_mmu_page_fault(v, 0x403, true, PG_LEVEL_2M)));
      },
    });
    expect(rets).toEqual([-EFAULT]);
  });

  it('a huge page with mixed attributes is mapped at 4K', async () => {
    const { kvm } = await run_once({
      setup(vm) {
        kvm_set_attributes_at_setup(vm, 0x5ff, 0x600, 0);
        expect(vm.mem_attr_array.get(0x5fe)).toBe(KVM_MEMORY_ATTRIBUTE_PRIVATE);
        kvm_vcpu_thread(vm.vcpus[0]!, (v) => kvm_mmu_page_fault(v, 0x403, true, PG_LEVEL_2M));
      },
    });
    expect(kvm.tdx.td.lookup(0x403)!.level).toBe(PG_LEVEL_4K);
  });

  it('retries while an invalidation covers the GFN, and maps once it ends (every interleaving)', async () => {
    let retried = 0;
    let fixed = 0;
    const p = vm_program('fault-vs-invalidation', {
      setup(vm) {
        kvm_vcpu_thread(vm.vcpus[0]!, async (v) => {
          const r = await tdx_handle_ept_violation(v, 0x403, true, PG_LEVEL_2M);
          if (r === RET_PF_FIXED) fixed++;
          if (vm.stat.fault_retries > 0) retried++;
        });
        vm.k.kthread('invalidate', async () => {
          await write_lock_for_tests(vm, () => {
            kvm_mmu_invalidate_begin(vm);
            kvm_mmu_invalidate_range_add(vm, 0x400, 0x600);
          });
          await write_lock_for_tests(vm, () => kvm_mmu_invalidate_end(vm));
        });
      },
    });
    const r = await explore_dfs(p, { preemptions: 2 });
    expect(kinds(r)).toEqual([]);
    expect(r.stats.complete).toBe('within preemption bound 2');
    expect(retried).toBeGreaterThan(0);
    expect(fixed).toBe(r.stats.schedules);
  });

  it('two vCPUs faulting the same GFN: one maps, the other retries or finds it mapped', async () => {
    const seen = new Set<number>();
    const p = vm_program('racing-faults', {
      vm: { nr_vcpus: 2 },
      setup(vm) {
        for (const v of vm.vcpus) kvm_vcpu_thread(v, async (v) => seen.add(await kvm_mmu_page_fault(v, 0x403, true, PG_LEVEL_2M)));
      },
    });
    const r = await explore_dfs(p, { preemptions: 1 });
    expect(kinds(r)).toEqual([]);
    expect(seen).toContain(RET_PF_FIXED);
    expect(seen).toContain(RET_PF_RETRY);
    expect(seen).toContain(RET_PF_SPURIOUS);
    expect(p.last!.tdx.td.nr_leaves).toBe(1);
    // However they raced, they leave the same state.
    expect(r.stats.terminalStates).toBe(1);
  });
});
