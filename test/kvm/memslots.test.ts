// Several memslots, each bound to a range of the guest_memfd, read by the vCPU under
// kvm->srcu; deleting one publishes it invalid, waits for the readers
// (synchronize_srcu()), zaps it, and publishes the set without it.
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/engine/index.ts';
import {
  EFAULT,
  guest_access,
  KVM_MEMSLOT_INVALID,
  kvm_mmu_page_fault,
  kvm_memslots_in_range,
  kvm_set_memory_region,
  kvm_vcpu_thread,
  PG_LEVEL_2M,
  PG_LEVEL_4K,
  RET_PF_RETRY,
  tdp_mmu_leaves,
  kvm_mirror_root,
  tdx_premap_private,
  type kvm,
  type kvm_functions,
} from './kvm_test_api.ts';
import { kinds, P1G, P2M, run_once, vm_program } from './helpers.ts';

/** Slot 0: GFNs [0, 2M) at file offset 0; slot 1: GFNs [1G, 1G + 4M) at offset 2M. */
const two_slots = { gmem_pages: 6 * P2M, memslots: [{ base_gfn: 0, npages: P2M, pgoff: 0 }, { base_gfn: P1G, npages: 2 * P2M, pgoff: 2 * P2M }] };

describe('several memslots', () => {
  it('a fault maps the folio at the slot\'s own file offset; a GFN in no slot exits to userspace', async () => {
    const rets: number[] = [];
    const { run, kvm } = await run_once({
      vm: two_slots,
      setup(vm) {
        kvm_vcpu_thread(vm.vcpus[0]!, async (v) => {
          rets.push(await kvm_mmu_page_fault(v, P1G + 0x203, true, PG_LEVEL_4K));
          rets.push(await kvm_mmu_page_fault(v, 0x105, true, PG_LEVEL_4K));
          rets.push(await kvm_mmu_page_fault(v, P2M + 3, true, PG_LEVEL_4K));
        });
      },
    });
    expect(run.finding).toBeNull();
    expect(rets.slice(2)).toEqual([-EFAULT]);
    const gmem = kvm.memslot.gmem.file;
    for (const [gfn, index] of [[P1G + 0x203, 2 * P2M + 0x203], [0x105, 0x105]] as const) {
      const e = kvm.tdx.td.lookup(gfn)!;
      const f = gmem.filemap_get_folio(index)!;
      expect(e.pfn + (gfn - e.gfn)).toBe(f.pfn + (index - f.index));
    }
    expect(kvm_memslots_in_range(kvm.memslots, 0, 2 * P1G).map((s) => [s.id, s.base_gfn, s.npages, s.gmem.pgoff])).toEqual([
      [0, 0, P2M, 0],
      [1, P1G, 2 * P2M, 2 * P2M],
    ]);
  });

  it('fixtures build a huge mapping in the second slot from its own folios', async () => {
    const { run, kvm } = await run_once({ vm: two_slots, setup: (vm) => tdx_premap_private(vm, P1G + P2M, PG_LEVEL_2M) });
    expect(run.finding).toBeNull();
    const e = kvm.tdx.td.lookup(P1G + P2M)!;
    expect(e.level).toBe(PG_LEVEL_2M);
    expect(e.pfn).toBe(kvm.memslot.gmem.file.filemap_get_folio(3 * P2M)!.pfn);
  });
});

/** vcpu0 touches private GFN 1G + 0x10 while `deleter` deletes slot 1. Once all are
 * done, nothing maps the deleted slot. */
function delete_while_faulting(overrides: Partial<kvm_functions> = {}) {
  return vm_program('delete-slot', {
    vm: { ...two_slots, overrides },
    setup(vm: kvm) {
      kvm_vcpu_thread(vm.vcpus[0]!, (v) => guest_access(v, P1G + 0x10, true));
      vm.k.kthread('deleter', () => kvm_set_memory_region(vm, { slot: 1, base_gfn: P1G, npages: 0 }));
      vm.run.invariant('deleted', () => {
        if (!vm.run.allDone()) return null;
        if (kvm_memslots_in_range(vm.memslots, P1G, P1G + 2 * P2M).length > 0) return 'slot 1 still published';
        for (const l of tdp_mmu_leaves(kvm_mirror_root(vm), P1G, P1G + 2 * P2M)) return `slot 1 deleted, yet the mirror root maps GFN 0x${l.gfn.toString(16)}`;
        if (vm.tdx.td.lookup(P1G + 0x10) !== null) return 'slot 1 deleted, yet the S-EPT maps GFN 0x40010';
        return null;
      });
    },
  });
}

/** dpor within two preemptions (634 schedules for the upstream version). */
const BOUND = { strategy: 'dpor', preemptions: 2, schedules: 20_000, maxSteps: 20_000, shrink: false } as const;

describe('memslot deletion and kvm->srcu', () => {
  it('synchronize_srcu() waits for the vCPU that looked the slot up: nothing maps it once deleted (every schedule within two preemptions)', async () => {
    const r = await explore(delete_while_faulting(), BOUND);
    expect(kinds(r)).toEqual([]);
    expect(r.stats.complete).toBe('within preemption bound 2');
  });

  it('publishing without waiting for readers lets a fault that saw the valid slot map it after the zap', async () => {
    const no_wait: kvm_functions['kvm_swap_active_memslots'] = async (vm, slots) => {
      await vm.run.point({ kind: 'rcu_assign_pointer', obj: 'kvm->memslots', footprint: [{ key: 'memslots' }] });
      vm.memslots = { generation: vm.memslots.generation + 1, slots: [...slots].sort((a, b) => a.base_gfn - b.base_gfn) };
      vm.model.bump();
    };
    const r = await explore(delete_while_faulting({ kvm_swap_active_memslots: no_wait }), BOUND);
    expect(kinds(r)).toEqual(['invariant:deleted']);
  });

  it('the TDX local retry bails on an invalid slot so the deletion can finish; retrying under kvm->srcu deadlocks it', async () => {
    // tdx_handle_ept_violation() before 6.18: retries RET_PF_RETRY locally under
    // kvm->srcu, whatever the memslot.
    const no_bail: kvm_functions['tdx_handle_ept_violation'] = async (vcpu, gfn, is_private, max_level) =>
      vcpu.kvm.model.op('tdx_handle_ept_violation', gfn, gfn + 1, false, async () => {
        for (;;) {
          const since = vcpu.kvm.model.since();
          const ret = await vcpu.kvm.call.kvm_mmu_page_fault(vcpu, gfn, is_private, max_level);
          if (ret !== RET_PF_RETRY) return ret;
          if (vcpu.kvm.vm_bugged) return -5;
          await vcpu.kvm.call.kvm_vcpu_retry(vcpu, gfn, 'RET_PF_RETRY', since);
        }
      });
    const r = await explore(delete_while_faulting({ tdx_handle_ept_violation: no_bail }), BOUND);
    expect(kinds(r)).toEqual(['deadlock']);
    expect(r.findings[0]!.message).toContain('wait_srcu_gp');
  });

  it('a slot being deleted is published invalid first: faults on it retry', async () => {
    const seen: number[] = [];
    await run_once({
      vm: two_slots,
      setup(vm) {
        vm.k.kthread('deleter', () => kvm_set_memory_region(vm, { slot: 1, base_gfn: P1G, npages: 0 }));
        vm.run.invariant('flags', () => {
          for (const s of vm.memslots.slots) if (!seen.includes(s.flags)) seen.push(s.flags);
          return null;
        });
      },
    });
    expect(seen).toContain(KVM_MEMSLOT_INVALID);
  });
});
