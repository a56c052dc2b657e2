// Each model invariant: a deliberately broken operation trips it, with the GFN in
// the message, and the correct operation does not.
import { describe, expect, it } from 'vitest';
import { read_lock, read_unlock, spin_lock_bh, spin_unlock_bh, write_lock, write_unlock } from '../../src/kernel/index.ts';
import {
  for_each_tdp_mmu_root_yield_safe,
  guest_access,
  KVM_DIRECT_ROOTS,
  KVM_MIRROR_ROOTS,
  KVM_VALID_ROOTS,
  KVM_MEMORY_ATTRIBUTE_PRIVATE,
  kvm_direct_root,
  kvm_gmem_get_pfn,
  kvm_gmem_of,
  kvm_gmem_fallocate, FALLOC_FL_PUNCH_HOLE,
  kvm_gmem_set_attributes,
  kvm_mirror_root,
  kvm_mmu_invalidate_begin,
  kvm_mmu_invalidate_end,
  kvm_mmu_invalidate_range_add,
  kvm_mmu_page_fault,
  kvm_premap_shared,
  kvm_tdp_mmu_get_root,
  kvm_tdp_mmu_map,
  kvm_tdp_mmu_write_spte,
  kvm_vcpu_thread,
  make_spte,
  mmu_topup_memory_caches,
  PG_LEVEL_2M,
  PG_LEVEL_4K,
  SPTE_INDEX,
  tdh_mem_page_remove,
  tdh_mem_range_block,
  tdp_mmu_walk_gfn,
  tdx_handle_ept_violation,
  tdx_pamt_cache,
  tdx_pamt_get,
  tdx_pamt_put,
  tdx_premap_private,
  tdx_topup_pamt_cache,
  try_accept_one,
  type kvm,
  type kvm_page_fault,

} from './kvm_test_api.ts';
import { run_once, type vm_case } from './helpers.ts';
import { head_tail, mismatched_accept_normal_root, withKnobs, type Knobs, type Variant } from '../../src/variants/index.ts';
import type { kvm_functions } from '../../src/kvm/index.ts';

async function finding_of(c: vm_case) {
  const { run } = await run_once(c);
  return run.finding;
}

/** Expects `invariant:<name>` naming `gfn`, reported at a step. */
async function expect_trips(name: string, gfn: string, c: vm_case): Promise<void> {
  const f = await finding_of(c);
  expect(f?.kind).toBe(`invariant:${name}`);
  expect(f!.message).toContain(gfn);
  expect(f!.message).toMatch(/after step \d+/);
}

async function expect_clean(c: vm_case): Promise<void> {
  const f = await finding_of(c);
  expect(f === null ? null : `${f.kind}: ${f.message}`).toBeNull();
}

/** A private-to-shared conversion of [0x210, 0x220) inside an accepted 2M page at 0x200. */
const conversion = (knobs: Partial<Knobs> = {}, overrides: Partial<kvm_functions> = {}): vm_case => ({
  vm: { functions: withKnobs(head_tail, knobs).fn, overrides },
  setup(vm) {
    tdx_premap_private(vm, 0x200, PG_LEVEL_2M);
    vm.k.kthread('conv', () => kvm_gmem_set_attributes(kvm_gmem_of(vm), 0x210, 0x220, 0));
  },
});

describe('invariant: private', () => {
  it('zapping without splitting the leaf that crosses the range loses the memory outside it', () =>
    expect_trips('private', 'GFN 0x200', conversion({ split_before_zap: false })));
  it('splitting first keeps it', () => expect_clean(conversion()));
  it('can be opted out of', async () => {
    const f = await finding_of({ ...conversion({ split_before_zap: false }), invariants: { disable: ['private'] } });
    expect(f).toBeNull();
  });
});

/** A thread that installs a mirror leaf at 0x400, with or without telling the TDX module. */
function map_mirror(with_sept: boolean): vm_case {
  return {
    setup(vm) {
      kvm_vcpu_thread(vm.vcpus[0]!, async (v) => {
        if (with_sept) return kvm_mmu_page_fault(v, 0x400, true, PG_LEVEL_2M);
        tdx_premap_private(vm, 0x600, PG_LEVEL_2M);
        await write_lock(vm.mmu_lock);
        const w = tdp_mmu_walk_gfn(kvm_mirror_root(vm), 0x400);
        kvm_tdp_mmu_write_spte(vm, { sp: w.sptep.sp, index: SPTE_INDEX(0x400, PG_LEVEL_2M) }, 0x400, PG_LEVEL_2M, make_spte(PG_LEVEL_2M, vm.host.alloc_pages(9)));
        await write_unlock(vm.mmu_lock);
      });
    },
  };
}

describe('invariant: agreement', () => {
  it('a mirror leaf the S-EPT does not have', () => expect_trips('agreement', 'GFN 0x400', map_mirror(false)));
  it('a fault maps both', () => expect_clean(map_mirror(true)));
});

/** A shared GFN cached in a vCPU's TLB, then converted to private. */
const shared_to_private = (flush_after_zap: boolean): vm_case => ({
  vm: { private: false, functions: withKnobs(head_tail, { flush_after_zap }).fn },
  setup(vm) {
    kvm_premap_shared(vm, 0x210);
    kvm_vcpu_thread(vm.vcpus[0]!, (v) => guest_access(v, 0x210, false));
    vm.k.kthread('conv', () => kvm_gmem_set_attributes(kvm_gmem_of(vm), 0x200, 0x400, KVM_MEMORY_ATTRIBUTE_PRIVATE));
  },
});

describe('invariant: tlb', () => {
  it('a zap without a TLB flush leaves the old translation cached', () => expect_trips('tlb', 'GFN 0x210', shared_to_private(false)));
  it('with the flush nothing stale remains', () => expect_clean(shared_to_private(true)));
});

/** A vCPU faults 0x403 while an invalidation of [0x400, 0x600) is in progress; a
 * broken fault path skips mmu_invalidate_retry_gfn(). */
function fault_during_invalidation(broken: boolean): vm_case {
  return {
    setup(vm) {
      let begun = false;
      vm.k.kthread('invalidate', async () => {
        await write_lock(vm.mmu_lock);
        kvm_mmu_invalidate_begin(vm);
        kvm_mmu_invalidate_range_add(vm, 0x400, 0x600);
        await write_unlock(vm.mmu_lock);
        begun = true;
        await vm.run.point({ kind: 'wait', footprint: [], waitsOn: () => (vm.tdx.td.nr_leaves > 0 || vm.stat.fault_retries > 0 ? null : ['vcpu0']) });
        await write_lock(vm.mmu_lock);
        kvm_mmu_invalidate_end(vm);
        await write_unlock(vm.mmu_lock);
      });
      kvm_vcpu_thread(vm.vcpus[0]!, async (v) => {
        await vm.run.point({ kind: 'wait', footprint: [], waitsOn: () => (begun ? null : ['invalidate']) });
        if (!broken) return tdx_handle_ept_violation(v, 0x403, true, PG_LEVEL_2M);
        const pfn = await kvm_gmem_get_pfn(vm, vm.memslot, 0x403);
        if (typeof pfn === 'number') throw new Error('no pfn');
        const fault: kvm_page_fault = { gfn: 0x403, is_private: true, write: true, max_level: PG_LEVEL_2M, req_level: PG_LEVEL_4K, goal_level: PG_LEVEL_4K, pfn: pfn.pfn, mmu_seq: vm.mmu_invalidate_seq, slot: vm.memslot, huge_page_disallowed: false };
        await mmu_topup_memory_caches(v);
        await read_lock(vm.mmu_lock);
        await kvm_tdp_mmu_map(v, fault);
        await read_unlock(vm.mmu_lock);
      });
    },
  };
}

describe('invariant: invalidation', () => {
  it('a fault that ignores the invalidation in progress installs an SPTE inside its range', () =>
    expect_trips('invalidation', 'GFN 0x400', fault_during_invalidation(true)));
  it('kvm_mmu_page_fault() retries until it ends', () => expect_clean(fault_during_invalidation(false)));
  it('a begin without an end is reported once every thread is done', () =>
    expect_trips('invalidation', '[0x400, 0x600)', {
      setup(vm) {
        vm.k.kthread('invalidate', async () => {
          await write_lock(vm.mmu_lock);
          kvm_mmu_invalidate_begin(vm);
          kvm_mmu_invalidate_range_add(vm, 0x400, 0x600);
          await write_unlock(vm.mmu_lock);
        });
      },
    }));
});

/** A 4K page at `pfn` takes a DPAMT reference, then drops it; a broken put clears the
 * refcount but leaves the PAMT installed. */
function dpamt_put(broken: boolean): vm_case {
  return {
    setup(vm) {
      vm.k.kthread('pamt', async () => {
        const cache = new tdx_pamt_cache('test_cache', vm.run);
        await tdx_topup_pamt_cache(cache, 2);
        const pfn = vm.host.alloc_pages(0);
        await tdx_pamt_get(vm, pfn, cache, 0x777);
        if (!broken) return tdx_pamt_put(vm, pfn, 0x777);
        await spin_lock_bh(vm.host.pamt_lock);
        vm.host.set_refcount(pfn, 0, 0x777);
        await spin_unlock_bh(vm.host.pamt_lock);
      });
    },
  };
}

describe('invariant: dpamt', () => {
  it('a refcount dropped to zero with the PAMT still installed', () => expect_trips('dpamt', 'GFN 0x777', dpamt_put(true)));
  it('tdx_pamt_put() removes it', () => expect_clean(dpamt_put(false)));
});

describe('invariant: caches', () => {
  it('a split whose DPAMT cache was not topped up finds it empty under mmu_lock', () =>
    expect_trips('caches', 'GFN 0x200', conversion({}, { tdx_split_cache_topup: () => 0 })));
  it('the default top-up covers the boundary splits', () => expect_clean(conversion()));
  it('with the check off, DEMOTE fails and KVM_BUG_ON marks the VM bugged', async () => {
    const { run, kvm } = await run_once({ ...conversion({}, { tdx_split_cache_topup: () => 0 }), invariants: { disable: ['caches'] } });
    expect(run.finding?.kind).toBe('kvm-bug-on');
    expect(run.finding?.message).toContain('tdh_mem_page_demote');
    expect(kvm.vm_bugged).toBe(true);
  });
});

/** A thread that takes a root reference and, when broken, never puts it. */
function root_ref(broken: boolean): vm_case {
  return {
    setup(vm: kvm) {
      vm.k.kthread('walker', async () => {
        for await (const root of for_each_tdp_mmu_root_yield_safe(vm, KVM_VALID_ROOTS | KVM_MIRROR_ROOTS | KVM_DIRECT_ROOTS)) void root;
        if (broken) await kvm_tdp_mmu_get_root(kvm_direct_root(vm));
      });
    },
  };
}

// No invariant of its own: a root reference never put is kmemleak's (model/lifetime.ts).
describe('a leaked root reference', () => {
  it('a get without a put is a memory leak once every thread is done', async () => {
    const f = await finding_of(root_ref(true));
    expect(f?.kind).toBe('memory-leak');
    expect(f!.message).toContain('(the direct root): tdp_mmu_root_count is 2');
  });
  it('balanced walks', () => expect_clean(root_ref(false)));
});

/** REMOVE of the 2M page at 0x200: straight away (broken), after BLOCK only (broken),
 * or through PUNCH_HOLE (BLOCK, TRACK, REMOVE). */
function remove(how: 'unblocked' | 'untracked' | 'kvm'): vm_case {
  return {
    setup(vm) {
      tdx_premap_private(vm, 0x200, PG_LEVEL_2M);
      vm.k.kthread('remove', async () => {
        if (how === 'kvm') return kvm_gmem_fallocate(kvm_gmem_of(vm), FALLOC_FL_PUNCH_HOLE, 0x200, 0x200);
        await write_lock(vm.mmu_lock);
        if (how === 'untracked') await tdh_mem_range_block(vm.tdx.td, 0x200, PG_LEVEL_2M);
        await tdh_mem_page_remove(vm.tdx.td, 0x200, PG_LEVEL_2M);
        await write_unlock(vm.mmu_lock);
      });
    },
    // A block with no remove leaves the mirror out of step; that is not what this tests.
    invariants: { disable: ['agreement'] },
  };
}

describe('invariant: tdx', () => {
  it('REMOVE of an entry never blocked', () => expect_trips('tdx', 'GFN 0x200', remove('unblocked')));
  it('REMOVE of an entry blocked but not tracked', async () => {
    await expect_trips('tdx', 'GFN 0x200', remove('untracked'));
    expect((await finding_of(remove('untracked')))!.message).toContain('TDX_TLB_TRACKING_NOT_DONE');
  });
  it('KVM blocks, tracks, then removes', () => expect_clean(remove('kvm')));
});

/** A guest accepting 4K inside a pending 2M mapping; KVM splits the given root. */
const mismatched_accept = (v: Variant = head_tail): vm_case => ({
  vm: { functions: v.fn },
  setup(vm) {
    tdx_premap_private(vm, 0x200, PG_LEVEL_2M, { accepted: false });
    kvm_vcpu_thread(vm.vcpus[0]!, (v) => try_accept_one(v, 0x300, PG_LEVEL_4K));
  },
});

describe('invariant: liveness', () => {
  it('splitting the normal root never satisfies the ACCEPT: the vCPU retries forever', () =>
    expect_trips('liveness', 'GFN 0x300', mismatched_accept(mismatched_accept_normal_root)));
  it('splitting the mirror root does', () => expect_clean(mismatched_accept()));
  it('a fault that keeps retrying alone on an invalidation nobody ends', () =>
    expect_trips('liveness', 'GFN 0x403', {
      setup(vm) {
        vm.k.kthread('invalidate', async () => {
          await write_lock(vm.mmu_lock);
          kvm_mmu_invalidate_begin(vm);
          kvm_mmu_invalidate_range_add(vm, 0x400, 0x600);
          await write_unlock(vm.mmu_lock);
        });
        kvm_vcpu_thread(vm.vcpus[0]!, (v) => tdx_handle_ept_violation(v, 0x403, true, PG_LEVEL_2M));
      },
    }));
});

describe('scenario invariants', () => {
  it('a scenario adds its own through run.invariant and gets invariant:<name>', async () => {
    const f = await finding_of({
      setup(vm, run) {
        tdx_premap_private(vm, 0x200, PG_LEVEL_2M);
        vm.k.kthread('conv', () => kvm_gmem_set_attributes(kvm_gmem_of(vm), 0x200, 0x400, 0));
        run.invariant('no-zap', () => (vm.stat.zaps > 0 ? `GFN 0x200 zapped` : null));
      },
    });
    expect(f?.kind).toBe('invariant:no-zap');
  });
});
