// PROMOTE: TDH.MEM.PAGE.PROMOTE in the TDX module (its tdh_mem_page_promote.c rules),
// and the fault path that would use it. The latest posted series never promote the
// mirror root (RFC v5 "Prevent hugepage promotion for mirror roots in fault path", v3
// 06/24), which the base model follows; the variant promote-merge is Isaku
// Yamahata's 2023 merge in the fault path, with Dynamic PAMT bookkeeping.
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/engine/index.ts';
import { promote_merge } from '../../src/variants/index.ts';
import {
  guest_access,
  kvm_make_all_cpus_request,
  KVM_REQ_OUTSIDE_GUEST_MODE,
  kvm_mirror_root,
  kvm_mmu_page_fault,
  kvm_vcpu_thread,
  pamt_region,
  PG_LEVEL_2M,
  PG_LEVEL_4K,
  RET_PF_FIXED,
  RET_PF_RETRY,
  RET_PF_SPURIOUS,
  tdh_mem_page_promote,
  tdh_mem_range_block,
  tdh_mem_track,
  tdp_mmu_leaves,
  tdx_premap_private,
  type kvm,
} from './kvm_test_api.ts';
import { kinds, P2M, run_once, vm_program } from './helpers.ts';

const BASE = 0x200;

/** The 2M block at BASE mapped by 512 4K leaves, accepted except those in `pending`. */
function premap_4k(vm: kvm, pending: readonly number[] = []): void {
  for (let i = 0; i < P2M; i++) tdx_premap_private(vm, BASE + i, PG_LEVEL_4K, { accepted: !pending.includes(i) });
}

describe('TDH.MEM.PAGE.PROMOTE', () => {
  it('needs the table entry blocked, then tracked, and 512 leaves in one state', async () => {
    const out: string[] = [];
    const { run, kvm } = await run_once({
      invariants: false,
      setup(vm) {
        premap_4k(vm);
        vm.k.kthread('t', async () => {
          const td = vm.tdx.td;
          out.push(await tdh_mem_page_promote(td, BASE, PG_LEVEL_2M));
          out.push(await tdh_mem_range_block(td, BASE, PG_LEVEL_2M));
          out.push(await tdh_mem_page_promote(td, BASE, PG_LEVEL_2M));
          out.push(await tdh_mem_track(td));
          await kvm_make_all_cpus_request(vm, KVM_REQ_OUTSIDE_GUEST_MODE);
          out.push(await tdh_mem_page_promote(td, BASE, PG_LEVEL_2M));
          out.push(await tdh_mem_page_promote(td, BASE, PG_LEVEL_2M));
        });
      },
    });
    expect(run.finding).toBeNull();
    expect(out).toEqual(['TDX_GPA_RANGE_NOT_BLOCKED', 'TDX_SUCCESS', 'TDX_TLB_TRACKING_NOT_DONE', 'TDX_SUCCESS', 'TDX_SUCCESS', 'TDX_EPT_ENTRY_STATE_INCORRECT']);
    const e = kvm.tdx.td.lookup(BASE + 7)!;
    expect([e.gfn, e.level, e.state]).toEqual([BASE, PG_LEVEL_2M, 'mapped']);
    expect(kvm.tdx.td.has_table(BASE, PG_LEVEL_2M)).toBe(false);
    // The merged range's 4K PAMT went with its leaves.
    expect(kvm.host.pamt.is_installed(pamt_region(e.pfn))).toBe(false);
  });

  it('refuses leaves some accepted, some pending', async () => {
    const out: string[] = [];
    await run_once({
      invariants: false,
      setup(vm) {
        premap_4k(vm, [17]);
        vm.k.kthread('t', async () => {
          const td = vm.tdx.td;
          await tdh_mem_range_block(td, BASE, PG_LEVEL_2M);
          await tdh_mem_track(td);
          out.push(await tdh_mem_page_promote(td, BASE, PG_LEVEL_2M));
        });
      },
    });
    expect(out).toEqual(['TDX_EPT_INVALID_PROMOTE_CONDITIONS']);
  });
});

describe('promotion in the fault path', () => {
  /** vcpu0 faults GFN BASE + 5 allowing 2M over the 4K table; `rets` gets the result. */
  const fault_2m = (rets: number[], functions = undefined as typeof promote_merge.fn | undefined, pending: readonly number[] = []) => ({
    vm: { functions },
    setup(vm: kvm) {
      premap_4k(vm, pending);
      kvm_vcpu_thread(vm.vcpus[0]!, async (v) => rets.push(await kvm_mmu_page_fault(v, BASE + 5, true, PG_LEVEL_2M)));
    },
  });

  it('upstream never promotes the mirror root: the fault finds its 4K leaf', async () => {
    const rets: number[] = [];
    const { run, kvm } = await run_once(fault_2m(rets));
    expect(run.finding).toBeNull();
    expect(rets).toEqual([RET_PF_SPURIOUS]);
    expect(new Set([...tdp_mmu_leaves(kvm_mirror_root(kvm), BASE, BASE + P2M)].map((l) => l.level))).toEqual(new Set([PG_LEVEL_4K]));
  });

  it('promote-merge: BLOCK, TRACK, PROMOTE; the mirror and the S-EPT map 2M, the 4K PAMT and the S-EPT page\'s reference are gone', async () => {
    const rets: number[] = [];
    const { run, kvm } = await run_once(fault_2m(rets, promote_merge.fn));
    expect(run.finding).toBeNull();
    expect(rets).toEqual([RET_PF_FIXED]);
    const leaves = [...tdp_mmu_leaves(kvm_mirror_root(kvm), BASE, BASE + P2M)];
    expect(leaves.map((l) => [l.gfn, l.level])).toEqual([[BASE, PG_LEVEL_2M]]);
    const e = kvm.tdx.td.lookup(BASE)!;
    expect([e.level, e.pfn, e.accepted]).toEqual([PG_LEVEL_2M, leaves[0]!.spte!.pfn, true]);
    expect(kvm.host.refcount(e.pfn)).toBe(0);
    expect(kvm.host.pamt.is_installed(pamt_region(e.pfn))).toBe(false);
    // Left: the references of the S-EPT pages of the tables above the merged one.
    expect(kvm.host.refcounts().reduce((a, [, n]) => a + n, 0)).toBe(kvm.arch.root_level - 2);
    const ops = run.trace.filter((t) => t.thread === 'vcpu0' && /^tdh_mem/.test(t.op)).map((t) => `${t.op}(${t.obj})`);
    expect(ops).toEqual(['tdh_mem_range_block(S-EPT[0x200 2M])', 'tdh_mem_track(TD epoch)', 'tdh_mem_page_promote(S-EPT[0x200 2M])']);
  });

  it('promote-merge: leaves some accepted, some pending stay 4K, unblocked, and the vCPU retries', async () => {
    const rets: number[] = [];
    const { run, kvm } = await run_once(fault_2m(rets, promote_merge.fn, [300]));
    expect(run.finding).toBeNull();
    expect(rets).toEqual([RET_PF_RETRY]);
    expect(kvm.tdx.td.lookup(BASE + 5)!.level).toBe(PG_LEVEL_4K);
    expect(kvm.tdx.td.blocked_above(BASE + 5, PG_LEVEL_4K)).toBe(false);
    expect(new Set([...tdp_mmu_leaves(kvm_mirror_root(kvm), BASE, BASE + P2M)].map((l) => l.level))).toEqual(new Set([PG_LEVEL_4K]));
  });

  it('promote-merge against another vCPU using a 4K page of the range: every schedule within two preemptions keeps the model\'s invariants', async () => {
    const r = await explore(
      vm_program('promote-vs-access', {
        vm: { functions: promote_merge.fn, nr_vcpus: 2 },
        setup(vm: kvm) {
          premap_4k(vm);
          kvm_vcpu_thread(vm.vcpus[0]!, (v) => kvm_mmu_page_fault(v, BASE + 5, true, PG_LEVEL_2M));
          kvm_vcpu_thread(vm.vcpus[1]!, (v) => guest_access(v, BASE + 0x40, true, true));
        },
      }),
      { strategy: 'dpor', preemptions: 2, schedules: 20_000, maxSteps: 20_000, shrink: false },
    );
    expect(kinds(r)).toEqual([]);
    expect(r.stats.complete).toBe('within preemption bound 2');
  });
});
