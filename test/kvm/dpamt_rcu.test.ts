import { describe, expect, it } from 'vitest';
import { call_rcu, rcu_read_lock, rcu_read_unlock } from '../../src/kernel/index.ts';
import { kvm_mmu_page, pamt_region, tdx_pamt_cache, tdx_pamt_get, tdx_pamt_put, tdx_topup_pamt_cache, tdp_mmu_free_sp_rcu_callback_for_tests } from './kvm_test_api.ts';
import { ops_of, run_once } from './helpers.ts';

describe('Dynamic PAMT and RCU-deferred freeing', () => {
  it('tdx_pamt_get installs a region on its first page and tdx_pamt_put removes it after its last', async () => {
    const seen: Array<[number, boolean]> = [];
    const { run } = await run_once({
      setup(vm) {
        vm.k.kthread('t', async () => {
          const cache = new tdx_pamt_cache('test_cache', vm.run);
          await tdx_topup_pamt_cache(cache, 4);
          const pfn = vm.host.alloc_pages(9);
          const region = pamt_region(pfn);
          const look = () => seen.push([vm.host.refcount(pfn), vm.host.pamt.is_installed(region)]);
          await tdx_pamt_get(vm, pfn, cache, 0);
          look();
          await tdx_pamt_get(vm, pfn + 1, cache, 1);
          look();
          await tdx_pamt_put(vm, pfn, 0);
          look();
          await tdx_pamt_put(vm, pfn + 1, 1);
          look();
          expect(cache.cnt).toBe(4 - vm.host.pamt.entry_pages);
        });
      },
    });
    expect(run.finding).toBeNull();
    expect(seen).toEqual([
      [1, true],
      [2, true],
      [1, true],
      [0, false],
    ]);
    expect(ops_of(run, 't', /^tdh_phymem/)).toEqual([expect.stringMatching(/^tdh_phymem_pamt_add/), expect.stringMatching(/^tdh_phymem_pamt_remove/)]);
  });

  it('a freed table gives back its S-EPT page DPAMT in softirq, after readers of the old tree are gone', async () => {
    const { run, kvm } = await run_once({
      setup(vm) {
        const sp = new kvm_mmu_page('test', vm.run);
        let queued = false;
        vm.k.kthread('reader', async () => {
          await rcu_read_lock();
          // Still walking the old tree when the table is queued for freeing.
          await vm.run.point({ kind: 'walk', footprint: [], waitsOn: () => (queued ? null : ['freer']) });
          await rcu_read_unlock();
        });
        vm.k.kthread('freer', async () => {
          const cache = new tdx_pamt_cache('test_cache', vm.run);
          await tdx_topup_pamt_cache(cache, 2);
          sp.external_spt = vm.host.alloc_pages(0);
          await tdx_pamt_get(vm, sp.external_spt, cache, 0);
          sp.external_spt_pamt = true;
          call_rcu(sp, () => tdp_mmu_free_sp_rcu_callback_for_tests(vm, sp));
          queued = true;
        });
      },
    });
    expect(run.finding).toBeNull();
    const cb = run.threads.find((t) => t.name.startsWith('rcu_callback'))!;
    expect(cb.level).toBe(1);
    expect(ops_of(run, cb.name, /pamt/)).toEqual(['spin_lock_bh(pamt_lock)', expect.stringMatching(/^tdh_phymem_pamt_remove/), 'spin_unlock_bh(pamt_lock)']);
    const step_of = (thread: string, op: string) => run.trace.find((e) => e.thread === thread && e.op === op)!.step;
    expect(step_of(cb.name, 'rcu_do_batch')).toBeGreaterThan(step_of('reader', 'rcu_read_unlock'));
    expect(kvm.host.refcounts()).toEqual([]);
  });
});
