// Dynamic PAMT refcounts as atomic_t with the posted fast paths ("[PATCH v6 06/11]
// x86/virt/tdx: Optimize tdx_pamt_get/put()"): tdx_pamt_get() tries
// atomic_inc_not_zero() before pamt_lock and rechecks under it; tdx_pamt_put() is
// atomic_dec_and_lock(). Every schedule of a get racing a put of the last reference
// keeps "installed iff refcount > 0" whenever pamt_lock is free; versions without the
// recheck do not.
import { describe, expect, it } from 'vitest';
import { atomic_dec_and_test, atomic_inc, atomic_inc_not_zero, atomic_read, atomic_set, spin_lock, spin_unlock, WARN_ON } from '../../src/kernel/index.ts';
import { pamt_region, tdh_phymem_pamt_add, tdh_phymem_pamt_remove, TDX_SUCCESS, tdx_find_pamt_refcount, tdx_pamt_cache, tdx_pamt_get, tdx_pamt_put, tdx_topup_pamt_cache, kvm_install_invariants, type kvm, type kvm_functions } from './kvm_test_api.ts';
import { explore_dfs, kinds, vm_program } from './helpers.ts';

/** `held`: whether a 4K page holds the region's only reference at set-up, which
 * `putter` then drops; `getters` more 4K pages of the same 2 MiB region take one each. */
function race(held: boolean, getters: number, overrides: Partial<kvm_functions> = {}, seen?: Set<string>) {
  return vm_program('pamt-race', {
    vm: { overrides },
    invariants: false,
    setup(vm: kvm) {
      const base = vm.host.alloc_pages(9);
      if (held) {
        vm.host.pamt.install(pamt_region(base));
        vm.host.set_refcount(base, 1, 0x200);
        vm.k.kthread('putter', () => tdx_pamt_put(vm, base, 0x200));
      }
      kvm_install_invariants(vm);
      for (let i = 1; i <= getters; i++) {
        vm.k.kthread(`getter${i}`, async () => {
          const cache = new tdx_pamt_cache(`getter${i}_cache`, vm.run);
          await tdx_topup_pamt_cache(cache, 2);
          const r = await tdx_pamt_get(vm, base + i, cache, 0x200 + i);
          const ops = vm.run.trace.filter((e) => e.thread === `getter${i}`).map((e) => e.op);
          seen?.add(ops.includes('tdh_phymem_pamt_add') ? 'slow: PAMT.ADD' : ops.includes('spin_lock') ? 'slow: recheck' : 'fast: atomic_inc_not_zero');
          return r;
        });
      }
      vm.run.invariant('final', () => {
        if (!vm.run.allDone()) return null;
        const refs = vm.host.refcount(base);
        const installed = vm.host.pamt.is_installed(pamt_region(base));
        return refs === getters && installed === getters > 0 ? null : `after all: refcount ${refs}, ${installed ? 'installed' : 'not installed'}`;
      });
    },
  });
}

// The earlier posted pair (DPAMT v2 to v4, Kirill A. Shutemov: "x86/virt/tdx: Add
// tdx_alloc/free_page() helpers"): put decrements with atomic_dec_and_test() before
// pamt_lock and rechecks under it ("Lost race against tdx_pamt_add()?"); a get that
// loses to such a put finds the PAMT still installed, TDH.PHYMEM.PAMT.ADD returns
// TDX_HPA_RANGE_NOT_FREE, and the get keeps it with refcount 1.
const tdx_pamt_get_v4: kvm_functions['tdx_pamt_get'] = async (vm, pfn, cache, gfn) => {
  const pamt_refcount = tdx_find_pamt_refcount(vm.host, pfn);
  if (await atomic_inc_not_zero(pamt_refcount)) return 0;
  const pages = vm.call.tdx_alloc_pamt_pages(vm, cache, vm.host.pamt.entry_pages, gfn);
  await spin_lock(vm.host.pamt_lock);
  // Lost race to other tdx_pamt_add()
  if ((await atomic_read(pamt_refcount)) !== 0) {
    await atomic_inc(pamt_refcount);
    await spin_unlock(vm.host.pamt_lock);
    return 0;
  }
  const err = await tdh_phymem_pamt_add(vm.host.pamt, vm.host.run, pamt_region(pfn), pages);
  // tdx_hpa_range_not_free() is true if current task won race against tdx_pamt_put().
  if (err !== TDX_SUCCESS && err !== 'TDX_HPA_RANGE_NOT_FREE') {
    await spin_unlock(vm.host.pamt_lock);
    return -5;
  }
  await atomic_set(pamt_refcount, 1);
  await spin_unlock(vm.host.pamt_lock);
  return 0;
};

function tdx_pamt_put_v4(recheck: boolean): kvm_functions['tdx_pamt_put'] {
  return async (vm, pfn) => {
    const pamt_refcount = tdx_find_pamt_refcount(vm.host, pfn);
    if (!(await atomic_dec_and_test(pamt_refcount))) return;
    await spin_lock(vm.host.pamt_lock);
    // Lost race against tdx_pamt_add()?
    if (recheck && (await atomic_read(pamt_refcount)) !== 0) return spin_unlock(vm.host.pamt_lock);
    await tdh_phymem_pamt_remove(vm.host.pamt, vm.host.run, pamt_region(pfn));
    await spin_unlock(vm.host.pamt_lock);
  };
}

describe('DPAMT refcount fast paths (v6 06/11)', () => {
  it('a get racing the put of the last reference: every schedule keeps the PAMT iff referenced (fast path, or 0->1 after the put)', async () => {
    const seen = new Set<string>();
    const r = await explore_dfs(race(true, 1, {}, seen));
    expect(kinds(r)).toEqual([]);
    expect(r.stats.complete).toBe('yes');
    expect([...seen].sort()).toEqual(['fast: atomic_inc_not_zero', 'slow: PAMT.ADD']);
  });

  it('two gets of an unreferenced region: one adds the PAMT, the other finds it in the recheck under pamt_lock', async () => {
    const seen = new Set<string>();
    const r = await explore_dfs(race(false, 2, {}, seen));
    expect(kinds(r)).toEqual([]);
    expect(r.stats.complete).toBe('yes');
    expect([...seen].sort()).toEqual(['fast: atomic_inc_not_zero', 'slow: PAMT.ADD', 'slow: recheck']);
  });

  it('a get that trusts its failed atomic_inc_not_zero() and skips the recheck adds the PAMT twice', async () => {
    const tdx_pamt_get_no_recheck: kvm_functions['tdx_pamt_get'] = async (vm, pfn, cache, gfn) => {
      const pamt_refcount = tdx_find_pamt_refcount(vm.host, pfn);
      if (await atomic_inc_not_zero(pamt_refcount)) return 0;
      const pages = vm.call.tdx_alloc_pamt_pages(vm, cache, vm.host.pamt.entry_pages, gfn);
      await spin_lock(vm.host.pamt_lock);
      const err = await tdh_phymem_pamt_add(vm.host.pamt, vm.host.run, pamt_region(pfn), pages);
      WARN_ON(err !== TDX_SUCCESS, `tdh_phymem_pamt_add() = ${err}`);
      await atomic_set(pamt_refcount, 1);
      await spin_unlock(vm.host.pamt_lock);
      return 0;
    };
    const r = await explore_dfs(race(false, 2, { tdx_pamt_get: tdx_pamt_get_no_recheck }));
    expect(kinds(r)).toEqual(['warn-on']);
    expect(r.findings[0]!.message).toContain('TDX_HPA_RANGE_NOT_FREE');
  });
});

describe('the invariant holds where the code guarantees it, under pamt_lock', () => {
  it('the earlier posted put leaves refcount 0 with the PAMT installed between its atomic and the lock: not a violation, and every schedule ends right', async () => {
    const r = await explore_dfs(race(true, 1, { tdx_pamt_get: tdx_pamt_get_v4, tdx_pamt_put: tdx_pamt_put_v4(true) }));
    expect(kinds(r)).toEqual([]);
    expect(r.stats.complete).toBe('yes');
  });

  it('without its recheck under the lock, the put removes the PAMT a racing get kept', async () => {
    const r = await explore_dfs(race(true, 1, { tdx_pamt_get: tdx_pamt_get_v4, tdx_pamt_put: tdx_pamt_put_v4(false) }));
    expect(kinds(r)).toEqual(['invariant:dpamt']);
    expect(r.findings[0]!.message).toContain('is not installed with refcount 1 once pamt_lock is released');
  });
});
