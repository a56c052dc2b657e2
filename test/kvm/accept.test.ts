import { describe, expect, it } from 'vitest';
import { guest_access, kvm_direct_root, kvm_mirror_root, kvm_vcpu_thread, mirror_sept_disagreement, PG_LEVEL_2M, PG_LEVEL_4K, tdp_mmu_walk_gfn, tdx_premap_private, try_accept_one } from './kvm_test_api.ts';
import { ops_of, P1G, run_once } from './helpers.ts';

describe('guest ACCEPT (tdg_mem_page_accept) and KVM exits', () => {
  it('an ACCEPT of an unmapped page faults it in at the accept level, then zeroes it', async () => {
    const out: unknown[] = [];
    const { run, kvm } = await run_once({
      setup(vm) {
        kvm_vcpu_thread(vm.vcpus[0]!, async (v) => {
          out.push(await try_accept_one(v, 0x400, PG_LEVEL_2M));
          out.push(await guest_access(v, 0x401, true));
        });
      },
    });
    expect(run.finding).toBeNull();
    expect(out).toEqual(['TDX_SUCCESS', 'ok']);
    const e = kvm.tdx.td.lookup(0x400)!;
    expect([e.level, e.state]).toEqual([PG_LEVEL_2M, 'mapped']);
    const v = kvm.tdx.td.content.get(e.pfn);
    // A fresh version from vcpu0's own sequence: its first.
    expect(v).toBe('1@vcpu0');
    expect(kvm.guest.accepted.get(0x5ff)).toBe(v);
  });

  it('an ACCEPT smaller than the mapping exits; KVM splits the mirror leaf down to the accept level', async () => {
    const out: unknown[] = [];
    const { run, kvm } = await run_once({
      setup(vm) {
        tdx_premap_private(vm, 0x200, PG_LEVEL_2M, { accepted: false });
        kvm_vcpu_thread(vm.vcpus[0]!, async (v) => out.push(await try_accept_one(v, 0x300, PG_LEVEL_4K)));
      },
    });
    expect(run.finding).toBeNull();
    expect(out).toEqual(['TDX_SUCCESS']);
    expect(ops_of(run, 'vcpu0', /accept/)).toEqual(['tdg_mem_page_accept(S-EPT[0x300 4K])', 'tdg_mem_page_accept(S-EPT[0x300 4K])']);
    expect(tdp_mmu_walk_gfn(kvm_mirror_root(kvm), 0x300).level).toBe(PG_LEVEL_4K);
    expect(kvm.tdx.td.lookup(0x300)!.state).toBe('mapped');
    expect(kvm.tdx.td.lookup(0x301)!.state).toBe('pending');
    expect(mirror_sept_disagreement(kvm, 0, P1G)).toBeNull();
  });

  it('touching a mapped page the guest never accepted raises #VE in the guest', async () => {
    const out: unknown[] = [];
    await run_once({
      setup(vm) {
        tdx_premap_private(vm, 0x200, PG_LEVEL_2M, { accepted: false });
        kvm_vcpu_thread(vm.vcpus[0]!, async (v) => out.push(await guest_access(v, 0x201, true)));
      },
    });
    expect(out).toEqual(['#VE']);
  });

  it('a shared access faults the page into the normal root and caches it', async () => {
    const { kvm } = await run_once({
      vm: { private: false },
      setup(vm) {
        kvm_vcpu_thread(vm.vcpus[0]!, (v) => guest_access(v, 0x42, false));
      },
    });
    expect(tdp_mmu_walk_gfn(kvm_direct_root(kvm), 0x42).level).toBe(PG_LEVEL_4K);
    expect(kvm.vcpus[0]!.tlb.size).toBe(1);
  });
});
