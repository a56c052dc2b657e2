// TDX_OPERAND_BUSY from the module's own contention (tdx_host_opts.seamcall_contention):
// a SEAMCALL holds the module's locks on what it works on from its entry to its
// completion (sept_lock_acquire_host() on S-EPT entries, the TD's epoch for TRACK,
// pamt_walk() on a region's PAMT entry), and another SEAMCALL needing one of them
// meanwhile returns TDX_OPERAND_BUSY. ("[PATCH v6 05/11] x86/virt/tdx: Handle
// concurrent callers in tdx_pamt_get/put()": pamt_lock "also avoids TDX module BUSY
// errors, as Dynamic PAMT add and remove SEAMCALLs take an internal TDX module locks
// at 2MB granularity, so simultaneous attempts on the same region would conflict.")
import { describe, expect, it } from 'vitest';
import { atomic_inc_not_zero, atomic_set } from '../../src/kernel/index.ts';
import {
  pamt_region,
  PG_LEVEL_2M,
  PG_LEVEL_4K,
  tdg_mem_page_accept,
  tdh_mem_range_block,
  tdh_mem_track,
  tdh_phymem_pamt_add,
  tdx_find_pamt_refcount,
  tdx_pamt_cache,
  tdx_pamt_get,
  tdx_premap_private,
  tdx_topup_pamt_cache,
  type kvm,
  type kvm_functions,
  type tdx_status,
} from './kvm_test_api.ts';
import { explore_dfs, kinds, vm_program } from './helpers.ts';

/** Every status pair two threads' SEAMCALLs returned, over every schedule. */
async function outcomes(contention: boolean, a: (vm: kvm) => Promise<string>, b: (vm: kvm) => Promise<string>, premap?: (vm: kvm) => void): Promise<Set<string>> {
  const seen = new Set<string>();
  const r = await explore_dfs(
    vm_program('contend', {
      vm: { host: { seamcall_contention: contention } },
      invariants: false,
      setup(vm: kvm) {
        premap?.(vm);
        const out: string[] = ['', ''];
        vm.k.kthread('a', async () => void (out[0] = await a(vm)));
        vm.k.kthread('b', async () => void (out[1] = await b(vm)));
        vm.run.invariant('record', () => (vm.run.allDone() ? (seen.add(out.join(' ')), null) : null));
      },
    }),
  );
  expect(kinds(r)).toEqual([]);
  return seen;
}

const premap_2m = (vm: kvm) => tdx_premap_private(vm, 0x200, PG_LEVEL_2M);
const block = (gfn: number, level: number) => (vm: kvm) => tdh_mem_range_block(vm.tdx.td, gfn, level);

describe('SEAMCALLs contend for the module\'s locks', () => {
  it('two BLOCKs of one S-EPT entry: one may find the other in flight and get TDX_OPERAND_BUSY', async () => {
    const seen = await outcomes(true, block(0x200, PG_LEVEL_2M), block(0x200, PG_LEVEL_2M), premap_2m);
    expect([...seen].sort()).toEqual([
      'TDX_EPT_ENTRY_STATE_INCORRECT TDX_SUCCESS',
      'TDX_OPERAND_BUSY TDX_SUCCESS',
      'TDX_SUCCESS TDX_EPT_ENTRY_STATE_INCORRECT',
      'TDX_SUCCESS TDX_OPERAND_BUSY',
    ]);
  });

  it('without contention modeled, each SEAMCALL is one atomic step and never BUSY', async () => {
    const seen = await outcomes(false, block(0x200, PG_LEVEL_2M), block(0x200, PG_LEVEL_2M), premap_2m);
    expect([...seen].sort()).toEqual(['TDX_EPT_ENTRY_STATE_INCORRECT TDX_SUCCESS', 'TDX_SUCCESS TDX_EPT_ENTRY_STATE_INCORRECT']);
  });

  it('SEAMCALLs on different entries never contend', async () => {
    const premap = (vm: kvm) => {
      tdx_premap_private(vm, 0x200, PG_LEVEL_2M);
      tdx_premap_private(vm, 0x400, PG_LEVEL_2M);
    };
    const seen = await outcomes(true, block(0x200, PG_LEVEL_2M), block(0x400, PG_LEVEL_2M), premap);
    expect([...seen]).toEqual(['TDX_SUCCESS TDX_SUCCESS']);
  });

  it('two TRACKs contend for the TD\'s epoch', async () => {
    const track = (vm: kvm) => tdh_mem_track(vm.tdx.td);
    const seen = await outcomes(true, track, track);
    expect([...seen].sort()).toEqual(['TDX_OPERAND_BUSY TDX_SUCCESS', 'TDX_SUCCESS TDX_OPERAND_BUSY', 'TDX_SUCCESS TDX_SUCCESS']);
  });

  it('the guest\'s ACCEPT and the host\'s BLOCK of one entry contend, both ways', async () => {
    const premap = (vm: kvm) => tdx_premap_private(vm, 0x203, PG_LEVEL_4K, { accepted: false });
    const accept = async (vm: kvm) => (await tdg_mem_page_accept(vm.tdx.td, 0x203, PG_LEVEL_4K)).status;
    const seen = await outcomes(true, accept, block(0x203, PG_LEVEL_4K), premap);
    expect(seen.has('TDX_OPERAND_BUSY TDX_SUCCESS')).toBe(true);
    expect(seen.has('TDX_SUCCESS TDX_OPERAND_BUSY')).toBe(true);
  });
});

describe('pamt_lock keeps TDH.PHYMEM.PAMT.ADD from contending (v6 05/11)', () => {
  /** Two 4K pages of one unreferenced region each take a DPAMT reference. */
  const two_gets = (overrides: Partial<kvm_functions> = {}) =>
    vm_program('two-gets', {
      vm: { host: { seamcall_contention: true }, overrides },
      setup(vm: kvm) {
        const base = vm.host.alloc_pages(9);
        for (const i of [0, 1]) {
          vm.k.kthread(`get${i}`, async () => {
            const cache = new tdx_pamt_cache(`cache${i}`, vm.run);
            await tdx_topup_pamt_cache(cache, 2);
            return tdx_pamt_get(vm, base + i, cache, 0x200 + i);
          });
        }
      },
    });

  it('v6: the 0->1 transitions are serialized, no PAMT.ADD is ever BUSY', async () => {
    const r = await explore_dfs(two_gets());
    expect(kinds(r)).toEqual([]);
    expect(r.stats.complete).toBe('yes');
  });

  it('without pamt_lock, two gets add the PAMT at once and one finds the region\'s PAMT entry locked', async () => {
    // tdx_pamt_get() with only the atomic: no lock around the 0->1 transition.
    const tdx_pamt_get_lockless: kvm_functions['tdx_pamt_get'] = async (vm, pfn, cache, gfn) => {
      const refcount = tdx_find_pamt_refcount(vm.host, pfn);
      if (await atomic_inc_not_zero(refcount)) return 0;
      const pages = vm.call.tdx_alloc_pamt_pages(vm, cache, vm.host.pamt.entry_pages, gfn);
      const err: tdx_status = await tdh_phymem_pamt_add(vm.host.pamt, vm.host.run, pamt_region(pfn), pages);
      if (err === 'TDX_OPERAND_BUSY') vm.run.report({ kind: 'pamt-busy', message: `tdh_phymem_pamt_add() = ${err}` });
      await atomic_set(refcount, 1);
      return 0;
    };
    const r = await explore_dfs(two_gets({ tdx_pamt_get: tdx_pamt_get_lockless }));
    expect(kinds(r)).toEqual(['pamt-busy']);
  });
});
