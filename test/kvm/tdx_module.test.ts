import { describe, expect, it } from 'vitest';
import {
  PG_LEVEL_2M,
  PG_LEVEL_4K,
  tdh_mem_page_aug,
  tdh_mem_page_demote,
  tdh_mem_page_remove,
  tdh_mem_range_block,
  tdh_mem_sept_add,
  tdh_mem_track,
  tdg_mem_page_accept,
  tdx_premap_private,
  kvm_make_all_cpus_request,
  KVM_REQ_OUTSIDE_GUEST_MODE,
  pamt_region,
  type kvm,
} from '../../src/kvm/index.ts';
import { P2M, run_once } from './helpers.ts';

/** Runs `body` as one thread on a fresh VM (no model invariants: these tests call
 * SEAMCALLs in orders KVM never would). */
async function seamcalls(body: (kvm: kvm, out: unknown[]) => Promise<void>, premap?: (kvm: kvm) => void) {
  const out: unknown[] = [];
  const { run, kvm } = await run_once({
    invariants: false,
    setup(vm) {
      premap?.(vm);
      vm.k.kthread('t', () => body(vm, out));
    },
  });
  expect(run.finding).toBeNull();
  return { out, kvm };
}

describe('TDX module SEAMCALLs', () => {
  it('BLOCK needs a leaf at exactly that level, once', async () => {
    const { out } = await seamcalls(
      async (kvm, out) => {
        const td = kvm.tdx.td;
        out.push(await tdh_mem_range_block(td, 0x400, PG_LEVEL_2M));
        out.push(await tdh_mem_range_block(td, 0x200, PG_LEVEL_4K));
        out.push(await tdh_mem_range_block(td, 0x200, PG_LEVEL_2M));
        out.push(await tdh_mem_range_block(td, 0x200, PG_LEVEL_2M));
      },
      (vm) => tdx_premap_private(vm, 0x200, PG_LEVEL_2M),
    );
    expect(out).toEqual(['TDX_EPT_WALK_FAILED', 'TDX_EPT_WALK_FAILED', 'TDX_SUCCESS', 'TDX_EPT_ENTRY_STATE_INCORRECT']);
  });

  it('REMOVE needs BLOCK, then a TRACK with every vCPU out of the guest since', async () => {
    const { out, kvm } = await seamcalls(
      async (kvm, out) => {
        const td = kvm.tdx.td;
        out.push(await tdh_mem_page_remove(td, 0x200, PG_LEVEL_2M));
        await tdh_mem_range_block(td, 0x200, PG_LEVEL_2M);
        out.push(await tdh_mem_page_remove(td, 0x200, PG_LEVEL_2M));
        // A vCPU that entered before the TRACK still runs in the old epoch.
        kvm.vcpus[0]!.vp.in_guest = true;
        await tdh_mem_track(td);
        out.push(await tdh_mem_page_remove(td, 0x200, PG_LEVEL_2M));
        await kvm_make_all_cpus_request(kvm, KVM_REQ_OUTSIDE_GUEST_MODE);
        out.push(await tdh_mem_page_remove(td, 0x200, PG_LEVEL_2M));
      },
      (vm) => tdx_premap_private(vm, 0x200, PG_LEVEL_2M),
    );
    expect(out).toEqual(['TDX_EPT_ENTRY_STATE_INCORRECT', 'TDX_TLB_TRACKING_NOT_DONE', 'TDX_TLB_TRACKING_NOT_DONE', 'TDX_SUCCESS']);
    const td = kvm.tdx.td;
    expect(td.lookup(0x200)).toBeNull();
    // The page's contents went with it.
    expect(td.content.size).toBe(0);
  });

  it('DEMOTE splits a blocked, tracked 2M leaf into 512 4K leaves in its state, given PAMT pages', async () => {
    const { out, kvm } = await seamcalls(
      async (kvm, out) => {
        const td = kvm.tdx.td;
        const table = kvm.host.alloc_pages(0);
        out.push(await tdh_mem_page_demote(td, 0x200, PG_LEVEL_2M, table, 0));
        await tdh_mem_range_block(td, 0x200, PG_LEVEL_2M);
        await tdh_mem_track(td);
        out.push(await tdh_mem_page_demote(td, 0x200, PG_LEVEL_2M, table, 0));
        out.push(await tdh_mem_page_demote(td, 0x200, PG_LEVEL_2M, table, kvm.host.pamt.entry_pages));
      },
      (vm) => tdx_premap_private(vm, 0x200, PG_LEVEL_2M),
    );
    expect(out).toEqual(['TDX_EPT_ENTRY_STATE_INCORRECT', 'TDX_INSUFFICIENT_RESOURCES', 'TDX_SUCCESS']);
    const td = kvm.tdx.td;
    expect(td.leaf_at(0x200, PG_LEVEL_2M)).toBeNull();
    const small = [...td.leaves_in(0x200, 0x200 + P2M)];
    expect(small.length).toBe(P2M);
    expect(small.every((e) => e.level === PG_LEVEL_4K && e.accepted && !e.blocked && e.pfn === small[0]!.pfn + (e.gfn - 0x200))).toBe(true);
    expect(kvm.host.pamt.is_installed(pamt_region(small[0]!.pfn))).toBe(true);
  });

  it('AUG needs the S-EPT tables above it and a free entry; ACCEPT reports mismatches and zeroes a pending page', async () => {
    const { out, kvm } = await seamcalls(async (kvm, out) => {
      const td = kvm.tdx.td;
      const pfn = kvm.host.alloc_pages(9);
      out.push(await tdh_mem_page_aug(td, 0, PG_LEVEL_2M, pfn));
      for (const level of [4, 3]) await tdh_mem_sept_add(td, 0, level, kvm.host.alloc_pages(0));
      out.push(await tdh_mem_page_aug(td, 0, PG_LEVEL_2M, pfn));
      out.push(await tdh_mem_page_aug(td, 0, PG_LEVEL_2M, pfn));
      out.push((await tdg_mem_page_accept(td, 0x1, PG_LEVEL_4K)).status);
      out.push((await tdg_mem_page_accept(td, 0, 3)).status);
      out.push((await tdg_mem_page_accept(td, 0x800, PG_LEVEL_2M)).status);
      out.push((await tdg_mem_page_accept(td, 0, PG_LEVEL_2M)).status);
      out.push((await tdg_mem_page_accept(td, 0, PG_LEVEL_2M)).status);
    });
    expect(out).toEqual([
      'TDX_EPT_WALK_FAILED',
      'TDX_SUCCESS',
      'TDX_EPT_ENTRY_STATE_INCORRECT',
      'EXIT_ACCEPT_SIZE_MISMATCH',
      'TDX_PAGE_SIZE_MISMATCH',
      'EXIT_EPT_VIOLATION',
      'TDX_SUCCESS',
      'TDX_PAGE_ALREADY_ACCEPTED',
    ]);
    const e = kvm.tdx.td.lookup(0)!;
    expect(e.state).toBe('mapped');
    expect(kvm.tdx.td.content.get(e.pfn)).toBe('1@t');
  });
});
